import { OpenTunnel, TunnelOpenOptions, TunnelProvider } from './tunnel.provider';

type NgrokForward = (config: { addr: number; authtoken: string }) => Promise<{
  url(): string | null;
  close(): Promise<void>;
}>;

/** The `@ngrok/ngrok` agent in-process: no ngrok binary, no copying URLs by hand (the webhook guide's step 4). */
export class NgrokTunnelProvider implements TunnelProvider {
  readonly name = 'ngrok';

  // The native module loads only when a tunnel is asked for, so plain runs never touch it.
  constructor(private readonly forward: () => Promise<NgrokForward> = loadNgrokForward) {}

  async open({ port, authtoken }: TunnelOpenOptions): Promise<OpenTunnel> {
    const forward = await this.forward();
    const listener = await forward({ addr: port, authtoken });
    const url = listener.url();
    if (!url) {
      await listener.close();
      throw new Error('ngrok opened a listener without a public URL');
    }
    return { close: () => listener.close(), url };
  }
}

async function loadNgrokForward(): Promise<NgrokForward> {
  const ngrok = await import('@ngrok/ngrok');
  return (config) => ngrok.forward(config);
}
