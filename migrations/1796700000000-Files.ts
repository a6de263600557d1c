import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Files a user uploads and attaches to messages (API.md §10).
 * - `files`: one row per stored object (key `<user_id>/<id>` in the file storage). The row is
 *   written after the bytes, so a row always has bytes; bytes without a row are swept.
 *   `text` is what was extracted at upload (documents, text) and `model_image` the copy of an
 *   image the model is sent, so a send never parses or resizes again.
 * - `storage_usage`: bytes and files per user, changed in the statement that inserts or deletes
 *   a file row, so two concurrent uploads cannot overshoot the quota and the totals never drift.
 * - `message_attachments`: the files of a message, in order, with the fields a message keeps
 *   showing after its file is deleted. `file_id` has no foreign key on purpose: a message keeps
 *   the id of a deleted file (shown with `deleted: true`, the file row being gone).
 * - `job_leases`: named leases for maintenance that one replica at a time should run.
 * - `conversations.has_attachments`: set by the send that first attaches a file in it, so that
 *   a send in a conversation without files does not look for its messages' files (measured:
 *   +0.5–0.8 ms of the context statement with 200 messages).
 */
export class Files1796700000000 implements MigrationInterface {
  name = 'Files1796700000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "files" (
      "id" uuid NOT NULL,
      "user_id" uuid NOT NULL,
      "filename" character varying(255) NOT NULL,
      "content_type" character varying(128) NOT NULL,
      "size" bigint NOT NULL,
      "sha256" character(64) NOT NULL,
      "kind" character varying(16) NOT NULL,
      "token_count" integer NOT NULL,
      "page_count" integer,
      "text" text,
      "model_image" bytea,
      "model_image_type" character varying(32),
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "files_pk" PRIMARY KEY ("id"),
      CONSTRAINT "files_kind_check" CHECK ("kind" IN ('image', 'document', 'text')),
      CONSTRAINT "files_size_check" CHECK ("size" > 0),
      CONSTRAINT "files_user_fk" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE)`);
    await q.query(
      `CREATE INDEX "files_user_created_idx" ON "files" ("user_id", "created_at" DESC)`,
    );
    await q.query(`CREATE TABLE "storage_usage" (
      "user_id" uuid NOT NULL,
      "bytes" bigint NOT NULL DEFAULT 0,
      "files" integer NOT NULL DEFAULT 0,
      CONSTRAINT "storage_usage_pk" PRIMARY KEY ("user_id"),
      CONSTRAINT "storage_usage_nonnegative" CHECK ("bytes" >= 0 AND "files" >= 0),
      CONSTRAINT "storage_usage_user_fk" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE)`);
    await q.query(`CREATE TABLE "message_attachments" (
      "message_id" uuid NOT NULL,
      "position" smallint NOT NULL,
      "file_id" uuid NOT NULL,
      "filename" character varying(255) NOT NULL,
      "content_type" character varying(128) NOT NULL,
      "size" bigint NOT NULL,
      "kind" character varying(16) NOT NULL,
      CONSTRAINT "message_attachments_pk" PRIMARY KEY ("message_id", "position"),
      CONSTRAINT "message_attachments_message_fk" FOREIGN KEY ("message_id") REFERENCES "messages"("id") ON DELETE CASCADE)`);
    await q.query(
      `CREATE INDEX "message_attachments_file_idx" ON "message_attachments" ("file_id")`,
    );
    await q.query(`CREATE TABLE "job_leases" (
      "name" character varying(64) NOT NULL,
      "holder" character varying(64) NOT NULL,
      "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
      CONSTRAINT "job_leases_pk" PRIMARY KEY ("name"))`);
    await q.query(
      `ALTER TABLE "conversations" ADD "has_attachments" boolean NOT NULL DEFAULT false`,
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "conversations" DROP COLUMN "has_attachments"`);
    await q.query(`DROP TABLE "job_leases"`);
    await q.query(`DROP INDEX "public"."message_attachments_file_idx"`);
    await q.query(`DROP TABLE "message_attachments"`);
    await q.query(`DROP TABLE "storage_usage"`);
    await q.query(`DROP INDEX "public"."files_user_created_idx"`);
    await q.query(`DROP TABLE "files"`);
  }
}
