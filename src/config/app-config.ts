import { buildAppConfig, Env, validateEnv } from './env';

/**
 * The validated configuration, typed, with durations and lists already parsed. Built from
 * process.env when the application is created (after @nestjs/config has loaded `.env`).
 */
export class AppConfig {
  readonly accessTtlSeconds: number;
  readonly refreshTtlSeconds: number;
  readonly refreshReuseGraceSeconds: number;
  readonly passwordResetTtlSeconds: number;
  readonly corsOrigins: string[];
  readonly jwtSecret: string;

  constructor(readonly env: Env) {
    const built = buildAppConfig(env);
    this.accessTtlSeconds = built.accessTtlSeconds;
    this.refreshTtlSeconds = built.refreshTtlSeconds;
    this.refreshReuseGraceSeconds = built.refreshReuseGraceSeconds;
    this.passwordResetTtlSeconds = built.passwordResetTtlSeconds;
    this.corsOrigins = built.corsOrigins;
    this.jwtSecret = built.jwtSecret;
  }

  static fromProcessEnv(): AppConfig {
    return new AppConfig(validateEnv(process.env));
  }

  get isProduction(): boolean {
    return this.env.NODE_ENV === 'production';
  }
}
