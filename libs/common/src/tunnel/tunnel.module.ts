import { DynamicModule, Module } from '@nestjs/common';

import { NgrokTunnelProvider } from './ngrok-tunnel.provider';
import { TUNNEL_PROVIDER, TunnelProvider } from './tunnel.provider';
import { TunnelService } from './tunnel.service';

@Module({})
export class TunnelModule {
  /** `provider` replaces ngrok, e.g. with a fake in tests. */
  static forRoot(provider?: TunnelProvider): DynamicModule {
    return {
      exports: [TunnelService],
      module: TunnelModule,
      providers: [{ provide: TUNNEL_PROVIDER, useFactory: () => provider ?? new NgrokTunnelProvider() }, TunnelService],
    };
  }
}
