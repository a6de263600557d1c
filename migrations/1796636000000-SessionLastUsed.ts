import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sessions say when they were last used (GET /auth/sessions): set at login, at each refresh, and
 * at most once per AUTH_SESSION_TOUCH_SECONDS while their access tokens are used. Existing rows
 * start from their creation time.
 */
export class SessionLastUsed1796636000000 implements MigrationInterface {
  name = 'SessionLastUsed1796636000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "sessions" ADD "last_used_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(`UPDATE "sessions" SET "last_used_at" = "created_at"`);
    await q.query(
      `ALTER TABLE "sessions" ALTER COLUMN "last_used_at" SET DEFAULT now(), ALTER COLUMN "last_used_at" SET NOT NULL`,
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "sessions" DROP COLUMN "last_used_at"`);
  }
}
