import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Conversations and their messages. Messages record their parent (the message they follow)
 * so branching can come later without a rewrite; `seq` orders them stably (several rows of
 * one transaction share now()). Trigram indexes serve ILIKE '%…%' search on titles and text.
 */
export class Conversations1795555000000 implements MigrationInterface {
  name = 'Conversations1795555000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
    await q.query(`
      CREATE TABLE "conversations" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "user_id" uuid NOT NULL,
        "title" varchar(200) NOT NULL,
        "model" varchar(100) NOT NULL,
        "system_message" text,
        "is_archived" boolean NOT NULL DEFAULT false,
        "message_count" integer NOT NULL DEFAULT 0,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "conversations_pk" PRIMARY KEY ("id"),
        CONSTRAINT "conversations_user_fk" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE,
        CONSTRAINT "conversations_message_count_ck" CHECK ("message_count" >= 0)
      )`);
    await q.query(
      `CREATE INDEX "conversations_user_activity_idx" ON "conversations" ("user_id", "updated_at" DESC, "id" DESC)`,
    );
    await q.query(
      `CREATE INDEX "conversations_title_trgm_idx" ON "conversations" USING gin ("title" gin_trgm_ops)`,
    );

    await q.query(`
      CREATE TABLE "messages" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "seq" bigint GENERATED ALWAYS AS IDENTITY,
        "conversation_id" uuid NOT NULL,
        "user_id" uuid NOT NULL,
        "parent_id" uuid,
        "role" varchar(16) NOT NULL,
        "content" text NOT NULL DEFAULT '',
        "status" varchar(16) NOT NULL DEFAULT 'completed',
        "model" varchar(100),
        "tokens_used" integer NOT NULL DEFAULT 0,
        "prompt_tokens" integer,
        "completion_tokens" integer,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "messages_pk" PRIMARY KEY ("id"),
        CONSTRAINT "messages_conversation_fk" FOREIGN KEY ("conversation_id") REFERENCES "conversations" ("id") ON DELETE CASCADE,
        CONSTRAINT "messages_user_fk" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE,
        CONSTRAINT "messages_parent_fk" FOREIGN KEY ("parent_id") REFERENCES "messages" ("id") ON DELETE SET NULL,
        CONSTRAINT "messages_role_ck" CHECK ("role" IN ('system', 'user', 'assistant')),
        CONSTRAINT "messages_status_ck" CHECK ("status" IN ('streaming', 'completed', 'stopped', 'failed')),
        CONSTRAINT "messages_user_content_length_ck" CHECK ("role" <> 'user' OR char_length("content") <= 10000),
        CONSTRAINT "messages_tokens_ck" CHECK ("tokens_used" >= 0)
      )`);
    await q.query(`CREATE UNIQUE INDEX "messages_seq_uq" ON "messages" ("seq")`);
    await q.query(
      `CREATE INDEX "messages_conversation_seq_idx" ON "messages" ("conversation_id", "seq")`,
    );
    await q.query(`CREATE INDEX "messages_user_id_idx" ON "messages" ("user_id")`);
    await q.query(`CREATE INDEX "messages_parent_id_idx" ON "messages" ("parent_id")`);
    await q.query(
      `CREATE INDEX "messages_content_trgm_idx" ON "messages" USING gin ("content" gin_trgm_ops)`,
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "messages"`);
    await q.query(`DROP TABLE "conversations"`);
  }
}
