import { Client, type ClientConfig } from 'pg';
import type { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import { ENTITIES } from './entities';

export interface ConnectionSettings {
  url: string;
  /** Embedded PGlite is safe with one connection only. */
  embedded: boolean;
  poolSize: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
}

/** node-postgres clients that give up connecting after `ms` (whatever the pool's wait is). */
function clientWithConnectTimeout(ms: number): typeof Client {
  return class extends Client {
    constructor(config?: string | ClientConfig) {
      super(
        typeof config === 'string'
          ? { connectionString: config, connectionTimeoutMillis: ms }
          : { ...config, connectionTimeoutMillis: ms },
      );
    }
  };
}

/** One definition of the connection, shared by the app, the migration script and the CLI. */
export function typeormOptions(s: ConnectionSettings): DataSourceOptions {
  return {
    type: 'postgres',
    url: s.url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    extra: {
      max: s.embedded ? 1 : s.poolSize,
      // Fail fast instead of hanging when the database is down or stuck: a connection attempt
      // gives up after DB_CONNECT_TIMEOUT_MS. Waiting for a free connection of the pool is
      // another matter — under a burst (a thousand sends at once) it is the normal way of
      // things, bounded like a statement: node-postgres has one setting for both, so the pool
      // gets the wait and its clients the connect timeout.
      connectionTimeoutMillis: Math.max(s.connectTimeoutMs, s.statementTimeoutMs),
      Client: clientWithConnectTimeout(s.connectTimeoutMs),
      statement_timeout: s.statementTimeoutMs,
      query_timeout: s.statementTimeoutMs + 1000,
      idleTimeoutMillis: 30_000,
      application_name: 'chat-assistant-backend',
    },
  };
}

/** host:port/database of a URL, without credentials, for the log. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}
