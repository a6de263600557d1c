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
      // Fail fast instead of hanging when the database is down or stuck. node-postgres uses
      // this one limit for connecting and for waiting for a free connection; embedded PGlite
      // runs in this process on its one connection, where waiting in line is the normal way
      // of things under a burst, so it may wait as long as a statement may run.
      connectionTimeoutMillis: s.embedded
        ? Math.max(s.connectTimeoutMs, s.statementTimeoutMs)
        : s.connectTimeoutMs,
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
