import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { typeormOptions } from './typeorm-options';

/**
 * Data source for the TypeORM CLI (`npm run migration:generate -- migrations/Name`).
 * It needs a real PostgreSQL: DATABASE_URL, or the machine's local server by default.
 */
export default new DataSource(
  typeormOptions({
    url: process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
    embedded: false,
    poolSize: 2,
    connectTimeoutMs: 5000,
    statementTimeoutMs: 60000,
  }),
);
