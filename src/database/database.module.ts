import { Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { EmbeddedPostgres } from './embedded-postgres';
import { Transactions } from './transactions';
import { describeUrl, typeormOptions } from './typeorm-options';
import { preparedStatementsOff } from './prepared';

const EMBEDDED = Symbol('EmbeddedPostgres');

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
 * Migrations run at boot; the schema is never synchronized from entities.
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
        return {
          ...typeormOptions({
            url,
            embedded: embedded !== null,
            poolSize: config.env.DB_POOL_SIZE,
            connectTimeoutMs: config.env.DB_CONNECT_TIMEOUT_MS,
            statementTimeoutMs: config.env.DB_STATEMENT_TIMEOUT_MS,
          }),
          migrationsRun: true,
          retryAttempts: embedded ? 0 : 5,
          retryDelay: 2000,
        };
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
