import { DynamicModule, Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { parse } from 'dotenv';
import { existsSync, readFileSync } from 'node:fs';

import { AppConfig, loadAppConfig } from './app-config';
import { AppConfigService } from './app-config.service';

export interface AppConfigOptions {
  /** The environment to validate; defaults to `.env` (if present) overlaid by `process.env`. */
  env?: Record<string, string | undefined>;
}

/** `.env` fills in what the process environment leaves unset. */
export function readEnvironment(envFile = '.env'): Record<string, string | undefined> {
  const fromFile = existsSync(envFile) ? parse(readFileSync(envFile)) : {};
  return { ...fromFile, ...process.env };
}

@Global()
@Module({})
export class AppConfigModule {
  static forRoot(options: AppConfigOptions = {}): DynamicModule {
    const config: AppConfig = loadAppConfig(options.env ?? readEnvironment());
    return {
      exports: [AppConfigService],
      global: true,
      imports: [
        ConfigModule.forRoot({
          cache: true,
          ignoreEnvFile: true,
          isGlobal: true,
          load: [() => config],
          skipProcessEnv: true,
        }),
      ],
      module: AppConfigModule,
      providers: [AppConfigService],
    };
  }
}
