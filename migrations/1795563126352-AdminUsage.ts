import { MigrationInterface, QueryRunner } from 'typeorm';

/** Usage reports (GET /admin/usage) sum the replies of a range of days: index them by time. */
export class AdminUsage1795563126352 implements MigrationInterface {
  name = 'AdminUsage1795563126352';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX "messages_assistant_created_idx" ON "messages" ("created_at") WHERE "role" = 'assistant'`,
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "public"."messages_assistant_created_idx"`);
  }
}
