import { MigrationInterface, QueryRunner } from 'typeorm';

/** Idempotency keys of sends: a retried send returns the first one's reply (24 h per user). */
export class IdempotencyKeys1795557000000 implements MigrationInterface {
  name = 'IdempotencyKeys1795557000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "idempotency_keys" (
        "user_id" uuid NOT NULL,
        "key" varchar(200) NOT NULL,
        "conversation_id" uuid NOT NULL,
        "user_message_id" uuid NOT NULL,
        "assistant_message_id" uuid NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "idempotency_keys_pk" PRIMARY KEY ("user_id", "key"),
        CONSTRAINT "idempotency_keys_user_fk" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE,
        CONSTRAINT "idempotency_keys_assistant_fk" FOREIGN KEY ("assistant_message_id") REFERENCES "messages" ("id") ON DELETE CASCADE
      )`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "idempotency_keys"`);
  }
}
