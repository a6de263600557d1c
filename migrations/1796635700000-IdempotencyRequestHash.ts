import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An Idempotency-Key remembers a hash of the send's canonical body: a retry with the same key
 * and another body is refused (422) instead of answered with the first reply. Keys stored
 * before this have no hash (null) and keep replaying as they did, for their last 24 hours.
 */
export class IdempotencyRequestHash1796635700000 implements MigrationInterface {
  name = 'IdempotencyRequestHash1796635700000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "idempotency_keys" ADD "request_hash" char(64)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "idempotency_keys" DROP COLUMN "request_hash"`);
  }
}
