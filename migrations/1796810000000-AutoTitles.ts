import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Where a conversation's title comes from (API.md §11, titles): `default` (created without
 * one: "New conversation", waiting for an automatic title), `auto` (set from the first reply)
 * or `user` (given at creation or by a rename). The automatic title is written by one
 * conditional UPDATE `WHERE title_source = 'default'`, so a rename made meanwhile is never
 * overwritten. The column's default is `user`: a row inserted without naming it (tools, older
 * code) never gets a title call. Rows already titled "New conversation" are `default`; those
 * that already have messages are past their first reply and are left as they are by the send.
 */
export class AutoTitles1796810000000 implements MigrationInterface {
  name = 'AutoTitles1796810000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE "conversations" ADD "title_source" character varying(8) NOT NULL DEFAULT 'user'`,
    );
    await q.query(
      `ALTER TABLE "conversations" ADD CONSTRAINT "conversations_title_source_ck"
       CHECK ("title_source" IN ('default', 'auto', 'user'))`,
    );
    await q.query(
      `UPDATE "conversations" SET "title_source" = 'default' WHERE "title" = 'New conversation'`,
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "conversations" DROP CONSTRAINT "conversations_title_source_ck"`);
    await q.query(`ALTER TABLE "conversations" DROP COLUMN "title_source"`);
  }
}
