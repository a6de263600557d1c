import { plainToInstance, Transform } from 'class-transformer';
import {
  IsEmail,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Max,
  Min,
  validateSync,
  ValidationArguments,
  registerDecorator,
} from 'class-validator';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseDurationSeconds } from './duration';

export const NODE_ENVS = ['development', 'production', 'test'] as const;
export type NodeEnv = (typeof NODE_ENVS)[number];

/** Secrets that appear in docs and examples; production refuses them. */
const PLACEHOLDER_SECRETS = new Set([
  'change-me',
  'changeme',
  'change-me-to-a-long-random-string',
  'secret',
  'jwt-secret',
  'your-secret-key',
]);
const MIN_SECRET_LENGTH = 32;

const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
const emptyToUndefined = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

function IsDuration() {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isDuration',
      target: target.constructor,
      propertyName,
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && parseDurationSeconds(value) !== null,
        defaultMessage: (args: ValidationArguments) =>
          `${args.property} must be a duration in seconds or with a unit (e.g. 1800, 30m, 7d)`,
      },
    });
}

/** Every environment key the service reads. Defaults are the embedded, no-setup ones. */
export class Env {
  @IsIn(NODE_ENVS)
  NODE_ENV: NodeEnv = 'development';

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 8000;

  @IsString()
  HOST = '0.0.0.0';

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsUrl({ protocols: ['postgres', 'postgresql'], require_tld: false, require_protocol: true })
  DATABASE_URL?: string;

  @IsString()
  DATA_DIR = './data';

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsUrl({ protocols: ['redis', 'rediss'], require_tld: false, require_protocol: true })
  REDIS_URL?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  JWT_SECRET?: string;

  @IsDuration()
  JWT_ACCESS_TTL = '1800';

  @IsDuration()
  JWT_REFRESH_TTL = '7d';

  /** How long a just-rotated refresh token still answers with its successor (concurrent refreshes). */
  @IsDuration()
  JWT_REFRESH_REUSE_GRACE = '10s';

  @IsDuration()
  PASSWORD_RESET_TTL = '1h';

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsUrl({ protocols: ['smtp', 'smtps'], require_tld: false, require_protocol: true })
  SMTP_URL?: string;

  @IsEmail({ allow_display_name: true, require_tld: false })
  MAIL_FROM = 'Chat Assistant <no-reply@localhost>';

  @IsUrl({ require_tld: false, require_protocol: true })
  PUBLIC_URL = 'http://localhost:8000';

  /** Comma-separated list of allowed origins; empty allows none cross-origin. */
  @IsString()
  CORS_ORIGINS = '';

  @Transform(toInt)
  @IsInt()
  @Min(1)
  RATE_LIMIT_AUTH = 5;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  RATE_LIMIT_MESSAGES = 20;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  RATE_LIMIT_DEFAULT = 100;

  /** Cap on a JSON request body, in bytes. */
  @Transform(toInt)
  @IsInt()
  @Min(1024)
  BODY_LIMIT_BYTES = 256 * 1024;

  /** Database connection and statement timeouts: a failing database answers fast, never hangs. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  DB_CONNECT_TIMEOUT_MS = 3000;

  @Transform(toInt)
  @IsInt()
  @Min(100)
  DB_STATEMENT_TIMEOUT_MS = 10000;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  DB_POOL_SIZE = 10;
}

/** Values derived once from Env, typed for use. */
export interface DerivedConfig {
  env: Env;
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
  refreshReuseGraceSeconds: number;
  passwordResetTtlSeconds: number;
  corsOrigins: string[];
  jwtSecret: string;
}

export class InvalidEnvError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Validates the raw environment; throws InvalidEnvError listing every bad key. */
export function validateEnv(raw: Record<string, unknown>): Env {
  const known = Object.keys(new Env());
  const input: Record<string, unknown> = {};
  for (const key of known) if (raw[key] !== undefined) input[key] = raw[key];
  const env = plainToInstance(Env, input);
  const errors = validateSync(env, { whitelist: true, stopAtFirstError: true });
  const problems = errors.map(
    (e) => `${e.property}: ${Object.values(e.constraints ?? { invalid: 'is invalid' }).join('; ')}`,
  );
  if (env.NODE_ENV === 'production') {
    if (!env.JWT_SECRET) problems.push('JWT_SECRET: is required in production');
    else if (
      PLACEHOLDER_SECRETS.has(env.JWT_SECRET.toLowerCase()) ||
      env.JWT_SECRET.length < MIN_SECRET_LENGTH
    ) {
      problems.push(
        `JWT_SECRET: is a placeholder or shorter than ${MIN_SECRET_LENGTH} characters`,
      );
    }
    if (!env.DATABASE_URL) problems.push('DATABASE_URL: is required in production');
  }
  if (problems.length > 0) throw new InvalidEnvError(problems);
  return env;
}

/**
 * Outside production a missing JWT secret is generated once and kept under DATA_DIR,
 * so tokens survive a restart.
 */
function resolveJwtSecret(env: Env): string {
  if (env.JWT_SECRET) return env.JWT_SECRET;
  const dir = resolve(env.DATA_DIR);
  const file = join(dir, 'jwt-secret');
  if (existsSync(file)) {
    const kept = readFileSync(file, 'utf8').trim();
    if (kept.length >= MIN_SECRET_LENGTH) return kept;
  }
  mkdirSync(dir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

export function buildAppConfig(env: Env): DerivedConfig {
  const seconds = (text: string) => parseDurationSeconds(text) as number;
  return {
    env,
    accessTtlSeconds: seconds(env.JWT_ACCESS_TTL),
    refreshTtlSeconds: seconds(env.JWT_REFRESH_TTL),
    refreshReuseGraceSeconds: seconds(env.JWT_REFRESH_REUSE_GRACE),
    passwordResetTtlSeconds: seconds(env.PASSWORD_RESET_TTL),
    corsOrigins: env.CORS_ORIGINS.split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    jwtSecret: resolveJwtSecret(env),
  };
}
