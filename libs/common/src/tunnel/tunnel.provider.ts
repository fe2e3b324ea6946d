/** A public URL that forwards to a local port, open until `close()`. */
export interface OpenTunnel {
  url: string;
  close(): Promise<void>;
}

export interface TunnelOpenOptions {
  port: number;
  authtoken: string;
}

/** Opens tunnels; the default is ngrok, tests swap in a fake (no network). */
export interface TunnelProvider {
  readonly name: string;
  open(options: TunnelOpenOptions): Promise<OpenTunnel>;
}

export const TUNNEL_PROVIDER = Symbol('TUNNEL_PROVIDER');
