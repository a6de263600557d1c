import { Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { EmbeddedPostgres } from './embedded-postgres';
import { Transactions } from './transactions';
import { describeUrl, typeormOptions } from './typeorm-options';
import { preparedStatementsOff } from './prepared';
import { migrateOnBoot, MigrateOnBootSettings, MigrationBootError } from './migration-lock';

const EMBEDDED = Symbol('EmbeddedPostgres');
/** What the data source factory does about migrations, per options object (one per app). */
const BOOT_MIGRATIONS = new WeakMap<object, MigrateOnBootSettings>();

@Global()
@Module({
  providers: [
    {
      provide: EMBEDDED,
      inject: [AppConfig],
      useFactory: (config: AppConfig) =>
        config.env.DATABASE_URL ? null : new EmbeddedPostgres(config.env.DATA_DIR),
    },
  ],
  exports: [EMBEDDED],
})
class EmbeddedPostgresModule {}

/**
 * The database connection: PostgreSQL at DATABASE_URL, or embedded PGlite when it is unset.
 * Migrations run at boot under a PostgreSQL advisory lock (replicas booting together run them
 * once; the others wait, then find none pending), or with DB_MIGRATE_ON_BOOT=false are only
 * checked; the schema is never synchronized from entities.
 */
@Global()
@Module({
  imports: [
    EmbeddedPostgresModule,
    TypeOrmModule.forRootAsync({
      inject: [AppConfig, EMBEDDED],
      useFactory: async (config: AppConfig, embedded: EmbeddedPostgres | null) => {
        const logger = new Logger('Database');
        const url = config.env.DATABASE_URL ?? (await embedded!.start());
        if (embedded) {
          logger.log(
            `using embedded PGlite (data in ${embedded.directory}); set DATABASE_URL for PostgreSQL`,
          );
        } else {
          logger.log(`using PostgreSQL at ${describeUrl(url)}`);
        }
        const options = {
          ...typeormOptions({
            url,
            embedded: embedded !== null,
            poolSize: config.env.DB_POOL_SIZE,
            connectTimeoutMs: config.env.DB_CONNECT_TIMEOUT_MS,
            statementTimeoutMs: config.env.DB_STATEMENT_TIMEOUT_MS,
          }),
          retryAttempts: embedded ? 0 : 5,
          retryDelay: 2000,
          // The lock not had in time, or migrations pending with DB_MIGRATE_ON_BOOT=false: no retry.
          toRetry: (error: unknown) => !(error instanceof MigrationBootError),
        };
        BOOT_MIGRATIONS.set(options, {
          migrate: config.env.DB_MIGRATE_ON_BOOT,
          // The embedded database serves this one process (its lockfile keeps others out).
          lock: embedded ? null : { timeoutMs: config.env.DB_MIGRATION_LOCK_TIMEOUT_MS },
        });
        return options;
      },
      dataSourceFactory: async (options) => {
        const settings = options && BOOT_MIGRATIONS.get(options);
        if (!options || !settings)
          throw new Error('database options without boot migration settings');
        const dataSource = new DataSource(options);
        await dataSource.initialize();
        try {
          const outcome = await migrateOnBoot(dataSource, settings);
          const waited =
            outcome.waitedMs === null ? '' : ` (waited ${outcome.waitedMs} ms for the lock)`;
          const logger = new Logger('Migrations');
          if (!settings.migrate)
            logger.log('none pending (DB_MIGRATE_ON_BOOT=false: checked only)');
          else if (outcome.applied.length > 0) {
            logger.log(`applied ${outcome.applied.length}: ${outcome.applied.join(', ')}${waited}`);
          } else logger.log(`none pending${waited}`);
        } catch (error) {
          await dataSource.destroy().catch(() => undefined);
          throw error;
        }
        return dataSource;
      },
    }),
  ],
  providers: [Transactions],
  exports: [Transactions],
})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(
    config: AppConfig,
    @Inject(EMBEDDED) private readonly embedded: EmbeddedPostgres | null,
    private readonly dataSource: DataSource,
  ) {
    if (embedded || !config.env.DB_PREPARED_STATEMENTS) preparedStatementsOff(dataSource);
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.embedded) return;
    // Close the pool before the server under it goes away.
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
    await this.embedded.stop();
  }
}
