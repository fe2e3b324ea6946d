import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

import type { AppConfig } from './app-config';

/** Typed, read-only access to the validated configuration, one namespace per module. */
@Injectable()
export class AppConfigService {
  constructor(private readonly config: ConfigService<AppConfig, true>) {}

  get<K extends keyof AppConfig>(namespace: K): AppConfig[K] {
    return this.config.get(namespace, { infer: true });
  }

  get env(): AppConfig['env'] {
    return this.get('env');
  }

  get http(): AppConfig['http'] {
    return this.get('http');
  }

  get database(): AppConfig['database'] {
    return this.get('database');
  }

  get instances(): AppConfig['instances'] {
    return this.get('instances');
  }

  get auth(): AppConfig['auth'] {
    return this.get('auth');
  }

  get bazaar(): AppConfig['bazaar'] {
    return this.get('bazaar');
  }

  get retention(): AppConfig['retention'] {
    return this.get('retention');
  }

  get scormCloud(): AppConfig['scormCloud'] {
    return this.get('scormCloud');
  }

  get webhook(): AppConfig['webhook'] {
    return this.get('webhook');
  }

  get tunnel(): AppConfig['tunnel'] {
    return this.get('tunnel');
  }

  get log(): AppConfig['log'] {
    return this.get('log');
  }

  get metrics(): AppConfig['metrics'] {
    return this.get('metrics');
  }

  get eventStream(): AppConfig['eventStream'] {
    return this.get('eventStream');
  }

  get tracing(): AppConfig['tracing'] {
    return this.get('tracing');
  }

  get eventDelivery(): AppConfig['eventDelivery'] {
    return this.get('eventDelivery');
  }

  /** A tunnel opened at start-up replaces the public base URL before the server listens. */
  setPublicBaseUrl(url: string): void {
    this.get('http').publicBaseUrl = url.replace(/\/+$/, '');
  }
}
