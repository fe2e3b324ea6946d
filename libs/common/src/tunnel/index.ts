export * from './ngrok-tunnel.provider';
export * from './tunnel.module';
export * from './tunnel.provider';
export * from './tunnel.service';
