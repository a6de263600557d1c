import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One row of quota counters per user: the current day's and month's requests and tokens.
 * Reservations change it with one conditional statement, so concurrent sends cannot overshoot.
 */
export class QuotaCounters1795556000000 implements MigrationInterface {
  name = 'QuotaCounters1795556000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "quota_counters" (
        "user_id" uuid NOT NULL,
        "day" date NOT NULL,
        "day_requests" integer NOT NULL DEFAULT 0,
        "day_tokens" integer NOT NULL DEFAULT 0,
        "month" date NOT NULL,
        "month_requests" integer NOT NULL DEFAULT 0,
        "month_tokens" integer NOT NULL DEFAULT 0,
        "last_grant" integer NOT NULL DEFAULT 0,
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "quota_counters_pk" PRIMARY KEY ("user_id"),
        CONSTRAINT "quota_counters_user_fk" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE,
        CONSTRAINT "quota_counters_nonnegative_ck" CHECK (
          "day_requests" >= 0 AND "day_tokens" >= 0 AND "month_requests" >= 0 AND "month_tokens" >= 0)
      )`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "quota_counters"`);
  }
}
