import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A system message holds at most 10,000 characters, counted as every other text limit is:
 * code points (char_length), like a user message's CHECK. NOT VALID: rows written before (the
 * old rule let up to 10,000 characters plus any number of U+FE0E/U+FE0F through) are left as
 * they are, every new or changed row is checked.
 */
export class SystemMessageLength1796635800000 implements MigrationInterface {
  name = 'SystemMessageLength1796635800000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE "conversations" ADD CONSTRAINT "conversations_system_message_length_ck"
       CHECK ("system_message" IS NULL OR char_length("system_message") <= 10000) NOT VALID`,
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE "conversations" DROP CONSTRAINT "conversations_system_message_length_ck"`,
    );
  }
}
