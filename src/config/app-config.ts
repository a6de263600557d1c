import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { buildAppConfig, Env } from './env';

/** The validated configuration, typed, with durations and lists already parsed. */
@Injectable()
export class AppConfig {
  readonly env: Env;
  readonly accessTtlSeconds: number;
  readonly refreshTtlSeconds: number;
  readonly refreshReuseGraceSeconds: number;
  readonly passwordResetTtlSeconds: number;
  readonly corsOrigins: string[];
  readonly jwtSecret: string;

  constructor(config: ConfigService<Env, true>) {
    const env = new Env();
    for (const key of Object.keys(env) as (keyof Env)[]) {
      Object.assign(env, { [key]: config.get(key, { infer: true }) });
    }
    const built = buildAppConfig(env);
    this.env = built.env;
    this.accessTtlSeconds = built.accessTtlSeconds;
    this.refreshTtlSeconds = built.refreshTtlSeconds;
    this.refreshReuseGraceSeconds = built.refreshReuseGraceSeconds;
    this.passwordResetTtlSeconds = built.passwordResetTtlSeconds;
    this.corsOrigins = built.corsOrigins;
    this.jwtSecret = built.jwtSecret;
  }

  get isProduction(): boolean {
    return this.env.NODE_ENV === 'production';
  }
}
