import { AppConfigService } from '@app/config';
import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';

import { OpenTunnel, TUNNEL_PROVIDER, TunnelProvider } from './tunnel.provider';

export class TunnelFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TunnelFailedError';
  }
}

/**
 * With `TUNNEL=ngrok`, opens a tunnel to the gateway's port at start-up and makes its URL the public base URL,
 * so the postback and callback URLs handed to SCORM Cloud and Bazaar reach this machine. Closed on shutdown.
 */
@Injectable()
export class TunnelService implements OnApplicationShutdown {
  private readonly logger = new Logger('Tunnel');
  private tunnel?: OpenTunnel;

  constructor(
    private readonly config: AppConfigService,
    @Inject(TUNNEL_PROVIDER) private readonly provider: TunnelProvider,
  ) {}

  get url(): string | undefined {
    return this.tunnel?.url;
  }

  async open(): Promise<string | undefined> {
    const { provider, authtoken } = this.config.tunnel;
    if (provider === 'none' || this.tunnel) return this.tunnel?.url;
    const port = this.config.http.port;
    try {
      this.tunnel = await this.provider.open({ authtoken: authtoken ?? '', port });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new TunnelFailedError(
        `TUNNEL=${provider} could not open a tunnel to port ${port}: ${redact(reason, authtoken)} ` +
          '(check NGROK_AUTHTOKEN and the network, or set TUNNEL=none)',
      );
    }
    this.config.setPublicBaseUrl(this.tunnel.url);
    const publicUrl = this.config.http.publicBaseUrl;
    this.logger.log(`Tunnel open: ${publicUrl} -> port ${port}; it is now PUBLIC_BASE_URL`);
    return publicUrl;
  }

  async close(): Promise<void> {
    const tunnel = this.tunnel;
    this.tunnel = undefined;
    if (!tunnel) return;
    try {
      await tunnel.close();
      this.logger.log('Tunnel closed');
    } catch (error) {
      this.logger.warn(`Tunnel did not close cleanly: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  onApplicationShutdown(): Promise<void> {
    return this.close();
  }
}

function redact(message: string, secret: string | undefined): string {
  return secret ? message.split(secret).join('[Redacted]') : message;
}
