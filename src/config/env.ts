import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
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
import { availableParallelism } from 'node:os';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LLM_PROVIDER_NAMES, LlmProviderName } from '../modules/llm/llm-provider';
import { llmConfigProblems } from '../modules/llm/llm.config';
import { CodePointLength } from '../common/validation/text';
import { parseDurationSeconds } from './duration';
import { parseTrustProxy } from './trust-proxy';

export const NODE_ENVS = ['development', 'production', 'test'] as const;
export type NodeEnv = (typeof NODE_ENVS)[number];
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

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
/** Quota counters are PostgreSQL integers. */
const INT4_MAX = 2_147_483_647;

const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
const toBool = ({ value }: { value: unknown }): unknown => {
  const text = typeof value === 'string' ? value.trim().toLowerCase() : value;
  return text === 'true' ? true : text === 'false' ? false : value;
};
const emptyToUndefined = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

function IsClusterWorkers() {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isClusterWorkers',
      target: target.constructor,
      propertyName,
      validator: {
        validate: (value: unknown) =>
          value === 'auto' ||
          (Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 256),
        defaultMessage: (args: ValidationArguments) =>
          `${args.property} must be auto or a whole number from 0 to 256`,
      },
    });
}

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

function IsTimeZone() {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isTimeZone',
      target: target.constructor,
      propertyName,
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'string' || value === '') return false;
          try {
            new Intl.DateTimeFormat('en-US', { timeZone: value });
            return true;
          } catch {
            return false;
          }
        },
        defaultMessage: (args: ValidationArguments) =>
          `${args.property} must be an IANA time zone (e.g. UTC, Asia/Shanghai)`,
      },
    });
}

function IsTrustProxy() {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isTrustProxy',
      target: target.constructor,
      propertyName,
      validator: {
        validate: (value: unknown) => typeof value === 'string' && parseTrustProxy(value) !== null,
        defaultMessage: (args: ValidationArguments) =>
          `${args.property} must be empty, a hop count, or a comma-separated list of loopback, ` +
          `linklocal, uniquelocal, IPs and CIDRs ('true' is refused: it would believe any ` +
          `X-Forwarded-For a client makes up)`,
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

  /**
   * The per-client-IP part of the auth limit (per minute); unset: RATE_LIMIT_AUTH. Raise it when
   * many people share one address (an office behind NAT); the per-account part stays RATE_LIMIT_AUTH.
   */
  @Transform(({ value }: { value: unknown }) => toInt({ value: emptyToUndefined({ value }) }))
  @IsOptional()
  @IsInt()
  @Min(1)
  RATE_LIMIT_AUTH_IP?: number;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  RATE_LIMIT_MESSAGES = 20;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  RATE_LIMIT_DEFAULT = 100;

  /** Resumes of a reply per user per minute, one budget for the SSE resume route and WebSocket `resume`. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  RATE_LIMIT_RESUMES = 100;

  /**
   * Per minute, per session and client IP: the routes an owner needs to take back an account
   * (logout, change-password, GET/DELETE /auth/sessions), outside `default` so a stolen session
   * spending that budget cannot lock the owner out of them.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  RATE_LIMIT_RECOVERY = 20;

  /**
   * At most one password-reset mail per address in this many seconds (0: no cooldown). Requests
   * within it answer as usual and send nothing, so no third party can use up the owner's resets.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(86_400)
  PASSWORD_RESET_MAIL_COOLDOWN_SECONDS = 300;

  /**
   * Proxies whose X-Forwarded-For is believed (Express `trust proxy`): a hop count, or
   * loopback/linklocal/uniquelocal/IPs/CIDRs, comma-separated. Empty: none, the client is the socket peer.
   */
  @IsTrustProxy()
  TRUST_PROXY = '';

  /** Failed logins for one account name before it is locked out. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  LOGIN_LOCKOUT_THRESHOLD = 5;

  /** First lockout; each further failure doubles it, up to LOGIN_LOCKOUT_MAX_SECONDS. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  LOGIN_LOCKOUT_BASE_SECONDS = 30;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  LOGIN_LOCKOUT_MAX_SECONDS = 900;

  /** Quota limits per tier (API.md §8): requests and tokens per day and per month. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(INT4_MAX)
  QUOTA_NORMAL_DAILY_REQUESTS = 50;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(INT4_MAX)
  QUOTA_NORMAL_MONTHLY_REQUESTS = 1000;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(INT4_MAX)
  QUOTA_NORMAL_DAILY_TOKENS = 10_000;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(INT4_MAX)
  QUOTA_NORMAL_MONTHLY_TOKENS = 100_000;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(INT4_MAX)
  QUOTA_VIP_DAILY_REQUESTS = 200;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(INT4_MAX)
  QUOTA_VIP_MONTHLY_REQUESTS = 5000;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(INT4_MAX)
  QUOTA_VIP_DAILY_TOKENS = 50_000;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(INT4_MAX)
  QUOTA_VIP_MONTHLY_TOKENS = 500_000;

  /** IANA time zone in which quota days and months are counted. */
  @IsTimeZone()
  QUOTA_TIMEZONE = 'UTC';

  /**
   * Fewest reply tokens a send is granted (or the send's own smaller max_tokens): when a token
   * window cannot hold the prompt plus this many, the send is refused (429 QUOTA_EXCEEDED with
   * tokens_needed) rather than billed a request for a reply cut after a few tokens.
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(INT4_MAX)
  QUOTA_MIN_REPLY_TOKENS = 256;

  /** Interval of SSE heartbeat comments, so proxies keep idle streams open. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  SSE_HEARTBEAT_MS = 15_000;

  /** Interval of WebSocket pings; a socket that missed the previous one is dropped. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  WS_HEARTBEAT_MS = 30_000;

  /**
   * WebSocket frames per user per minute, over all of the user's sockets (and replicas, with
   * Redis): `ping` frames, and every other frame (malformed ones included).
   */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  WS_RATE_LIMIT_PINGS = 600;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  WS_RATE_LIMIT_FRAMES = 120;

  /** Frames of one socket waiting to be handled; more are refused (RATE_LIMIT_EXCEEDED). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  WS_MAX_QUEUED_FRAMES = 32;

  /** Frames of one socket refused for a limit within a minute before the socket is closed (1008). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  WS_MAX_REFUSALS = 20;

  /** Open sockets per user (across replicas with Redis); the upgrade of one more is refused (429). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  WS_MAX_SOCKETS_PER_USER = 20;

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

  /**
   * Run pending migrations at boot, one process at a time (a PostgreSQL advisory lock), the
   * others waiting. false: migrations are a separate step (`node dist/src/database/migrate.js
   * run`, e.g. a Job before the rollout) and a process with any pending refuses to start.
   */
  @Transform(toBool)
  @IsBoolean()
  DB_MIGRATE_ON_BOOT = true;

  /** Longest wait for the migration lock (at boot and in the migrate command); past it: boot error. */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(3_600_000)
  DB_MIGRATION_LOCK_TIMEOUT_MS = 120_000;

  /**
   * How long a checked session (live, user active, role and tier) is reused in this process
   * without reading the database again (0: read on every request). Revocations, deactivations
   * and role or tier changes drop it at once through the event bus; this only bounds how long a
   * change missed by the bus (Redis away) can go unseen.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(60_000)
  AUTH_SESSION_CACHE_MS = 5000;

  /**
   * A session's `last_used_at` is written at most once per this many seconds per process while
   * its access tokens are used (login and refresh always write it); 0 writes on every use.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(86_400)
  AUTH_SESSION_TOUCH_SECONDS = 300;

  /**
   * The HMAC key API keys are stored under (at least 32 characters). Unset: derived from
   * JWT_SECRET, so that a new JWT_SECRET also ends every API key; set it to rotate the two apart.
   */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @CodePointLength(32, 512)
  API_KEY_SECRET?: string;

  /**
   * Generation starts (the database work before the model is called) running at once; more
   * wait in a queue of at most ADMISSION_QUEUE_DEPTH for at most ADMISSION_MAX_WAIT_MS, and past
   * either bound are refused at once with 503 SERVICE_UNAVAILABLE and a Retry-After (nothing
   * stored, nothing billed). 0 for the concurrency: DB_POOL_SIZE.
   */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(10_000)
  ADMISSION_CONCURRENCY = 0;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  ADMISSION_QUEUE_DEPTH = 2000;

  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(600_000)
  ADMISSION_MAX_WAIT_MS = 10_000;

  /**
   * Processes serving the port (node:cluster): 0 or 1 runs one process (default); `auto` one
   * per CPU; a number that many. More than one needs DATABASE_URL and REDIS_URL (the replicas
   * share state there, as replicas on separate machines do).
   */
  @Transform(({ value }: { value: unknown }) => {
    const text = typeof value === 'string' ? value.trim().toLowerCase() : value;
    if (text === 'auto') return 'auto';
    return typeof text === 'string' && /^\d+$/.test(text) ? Number(text) : text;
  })
  @IsClusterWorkers()
  CLUSTER_WORKERS: number | 'auto' = 0;

  /**
   * The send path's statements as named prepared statements (parsed once per connection).
   * false behind a pooler in transaction mode (PgBouncer before 1.21); they also turn
   * themselves off when the database says a named statement went missing.
   */
  @Transform(toBool)
  @IsBoolean()
  DB_PREPARED_STATEMENTS = true;

  /** Lowest level written to the log. */
  @IsIn(LOG_LEVELS)
  LOG_LEVEL: LogLevel = 'info';

  /** `json` (one object per line) or `pretty`; unset: pretty in development on a terminal, else JSON. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsIn(LOG_FORMATS)
  LOG_FORMAT?: LogFormat;

  /** On SIGTERM, how long running replies may go on before they are cut off (0: at once). */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(600_000)
  SHUTDOWN_GRACE_MS = 10_000;

  /**
   * How long a process may go silent before another replica closes the replies it was running
   * (a killed process): it renews its lease every third of this, and each replica looks for
   * expired ones as often.
   */
  @Transform(toInt)
  @IsInt()
  @Min(500)
  @Max(600_000)
  GENERATION_LEASE_MS = 20_000;

  /** Swagger UI at /api/docs and the OpenAPI document at /api/docs-json: true (default) | false. */
  @Transform(({ value }: { value: unknown }) => {
    const text = typeof value === 'string' ? value.trim().toLowerCase() : value;
    return text === 'true' ? true : text === 'false' ? false : value;
  })
  @IsBoolean()
  API_DOCS_ENABLED = true;

  /**
   * Unset: openai when OPENAI_API_KEY is set, else the offline development model — outside
   * production only: there a missing provider is a boot error unless LLM_PROVIDER=offline.
   */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsIn(LLM_PROVIDER_NAMES)
  LLM_PROVIDER?: LlmProviderName;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  OPENAI_API_KEY?: string;

  /** Any OpenAI-compatible server; unset: https://api.openai.com/v1. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsUrl({ protocols: ['http', 'https'], require_tld: false, require_protocol: true })
  OPENAI_BASE_URL?: string;

  /** Per attempt, until the response headers arrive (the SDK's timeout). */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  LLM_REQUEST_TIMEOUT_MS = 30000;

  /** SDK retries of 429/5xx/connection failures, before the first token only. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(10)
  LLM_MAX_RETRIES = 2;

  /** From sending the request (retries included) to the first streamed chunk. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  LLM_FIRST_TOKEN_TIMEOUT_MS = 60000;

  /** Longest silence between two streamed chunks. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  LLM_IDLE_TIMEOUT_MS = 30000;

  /** Pause between the offline model's words; 0 streams them at once. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(10000)
  OFFLINE_TOKEN_DELAY_MS = 30;

  /** Path to a JSON model catalog; unset: MODELS_JSON, else the built-in catalog. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  MODELS_FILE?: string;

  /** The model catalog as inline JSON. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  MODELS_JSON?: string;

  /** Model used when a request names none. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  DEFAULT_MODEL?: string;

  /** Name a conversation created without a title after its first message (API.md §11). */
  @Transform(toBool)
  @IsBoolean()
  AUTO_TITLE = true;

  /** Model that writes automatic titles; unset: the conversation's own. Any id the provider knows. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  TITLE_MODEL?: string;

  /** Largest upload, in bytes (API.md §10): a bigger body is refused with 413 while it streams in. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1024 * 1024 * 1024)
  FILE_MAX_BYTES = 20 * 1024 * 1024;

  /** Uploads one process reads and inspects at once (each holds up to FILE_MAX_BYTES); more: 503. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000)
  FILE_MAX_CONCURRENT_UPLOADS = 8;

  /** A PDF with more pages is refused (422). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100_000)
  FILE_MAX_PDF_PAGES = 500;

  /** An image with more pixels (width × height) is refused (422) before it is decoded. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1_000_000_000)
  FILE_MAX_IMAGE_PIXELS = 40_000_000;

  /** A DOCX whose entries inflate to more bytes than this is refused as an archive bomb (422). */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(4 * 1024 * 1024 * 1024)
  FILE_MAX_INFLATED_BYTES = 100 * 1024 * 1024;

  /** Time one upload's inspection (type, text, image copy) may take in its worker thread. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  FILE_INSPECT_TIMEOUT_MS = 20_000;

  /** Heap of each inspection worker thread, in MiB; a file that needs more is refused. */
  @Transform(toInt)
  @IsInt()
  @Min(32)
  @Max(8192)
  FILE_INSPECT_MEMORY_MB = 256;

  /** Worker threads that inspect uploads. */
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(64)
  FILE_INSPECT_THREADS = 2;

  /** Uploads never attached to a message are deleted this long after upload. */
  @IsDuration()
  FILE_UNATTACHED_TTL = '24h';

  /** How often a replica looks for unattached uploads and for stored bytes without a row. */
  @IsDuration()
  FILE_SWEEP_INTERVAL = '10m';

  /** Stored bytes without a row older than this are deleted (a crash between bytes and row). */
  @IsDuration()
  FILE_ORPHAN_AGE = '1h';

  /** Storage per user and tier (API.md §10), in bytes. */
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  QUOTA_NORMAL_STORAGE_BYTES = 100 * 1024 * 1024;

  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  QUOTA_VIP_STORAGE_BYTES = 1024 * 1024 * 1024;

  /** S3-compatible object storage for files; unset: a directory under DATA_DIR. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  S3_BUCKET?: string;

  /** Endpoint of a non-AWS store (MinIO, Ceph, …); unset: AWS for S3_REGION. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsUrl({ protocols: ['http', 'https'], require_tld: false, require_protocol: true })
  S3_ENDPOINT?: string;

  @IsString()
  S3_REGION = 'us-east-1';

  /** Unset: the AWS SDK's default credential chain (environment, profile, instance role). */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  S3_ACCESS_KEY_ID?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  S3_SECRET_ACCESS_KEY?: string;

  /** Path-style addressing (`endpoint/bucket/key`), which MinIO and most other stores need. */
  @Transform(toBool)
  @IsBoolean()
  S3_FORCE_PATH_STYLE = false;

  /** Time one object-store request may take before the store counts as unavailable. */
  @Transform(toInt)
  @IsInt()
  @Min(100)
  S3_REQUEST_TIMEOUT_MS = 30_000;

  /** When set, GET /metrics requires `Authorization: Bearer <METRICS_TOKEN>`; unset: open. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  METRICS_TOKEN?: string;
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
/** How many processes CLUSTER_WORKERS asks for (`auto`: one per CPU). */
export function clusterWorkersOf(
  env: Pick<Env, 'CLUSTER_WORKERS'>,
  cpus = availableParallelism(),
): number {
  return env.CLUSTER_WORKERS === 'auto' ? cpus : env.CLUSTER_WORKERS;
}

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
      problems.push(`JWT_SECRET: is a placeholder or shorter than ${MIN_SECRET_LENGTH} characters`);
    }
    if (!env.DATABASE_URL) problems.push('DATABASE_URL: is required in production');
  }
  // Cross-key checks only over keys that are individually valid, so one mistake is listed once.
  const invalid = new Set(errors.map((e) => e.property));
  if (!invalid.has('CLUSTER_WORKERS') && clusterWorkersOf(env) > 1) {
    if (!env.DATABASE_URL)
      problems.push('CLUSTER_WORKERS: more than one process needs DATABASE_URL (PostgreSQL)');
    if (!env.REDIS_URL) problems.push('CLUSTER_WORKERS: more than one process needs REDIS_URL');
  }
  if (
    !invalid.has('LOGIN_LOCKOUT_BASE_SECONDS') &&
    !invalid.has('LOGIN_LOCKOUT_MAX_SECONDS') &&
    env.LOGIN_LOCKOUT_MAX_SECONDS < env.LOGIN_LOCKOUT_BASE_SECONDS
  ) {
    problems.push('LOGIN_LOCKOUT_MAX_SECONDS: must not be below LOGIN_LOCKOUT_BASE_SECONDS');
  }
  const llmKeys = [
    'LLM_PROVIDER',
    'OPENAI_API_KEY',
    'MODELS_FILE',
    'MODELS_JSON',
    'DEFAULT_MODEL',
  ] as const;
  if (!llmKeys.some((key) => invalid.has(key))) {
    // The raw environment too: a catalog provider's api_key_env names a variable of its own.
    problems.push(
      ...llmConfigProblems(env, (name) => (typeof raw[name] === 'string' ? raw[name] : undefined)),
    );
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
