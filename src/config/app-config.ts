import { createSecretKey, type KeyObject } from 'node:crypto';
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
  /**
   * The HS256 secret as a KeyObject, shared by signing, the HTTP strategy and the WebSocket
   * handshake: jsonwebtoken otherwise tries to parse a string secret as a PEM public key
   * (createPublicKey) at every sign and verify before falling back to HMAC.
   */
  readonly jwtKey: KeyObject;

  constructor(readonly env: Env) {
    const built = buildAppConfig(env);
    this.accessTtlSeconds = built.accessTtlSeconds;
    this.refreshTtlSeconds = built.refreshTtlSeconds;
    this.refreshReuseGraceSeconds = built.refreshReuseGraceSeconds;
    this.passwordResetTtlSeconds = built.passwordResetTtlSeconds;
    this.corsOrigins = built.corsOrigins;
    this.jwtSecret = built.jwtSecret;
    this.jwtKey = createSecretKey(Buffer.from(built.jwtSecret, 'utf8'));
  }

  static fromProcessEnv(): AppConfig {
    return new AppConfig(validateEnv(process.env));
  }

  get isProduction(): boolean {
    return this.env.NODE_ENV === 'production';
  }
}
