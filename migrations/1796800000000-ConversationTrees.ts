import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Conversation trees (API.md §11).
 * - `conversations.current_message_id`: the last message of the branch the client is shown.
 *   No foreign key on purpose: every statement that deletes messages (the subtree delete, the
 *   conversation's cascade) moves or drops it in the same statement, and a key would add a
 *   trigger check to every send's open statement and a cycle between the two tables.
 * - `messages_parent_fk` becomes ON DELETE CASCADE: deleting a message deletes its subtree,
 *   including a child a concurrent send inserted after the delete read the tree.
 * - `messages_parent_seq_idx` (parent_id, seq) replaces `messages_parent_id_idx`: children by
 *   creation order (sibling numbers, the newest child when a branch is followed down), and
 *   `messages_root_idx` the roots of a conversation (parent null).
 * - Backfill: a pre-tree conversation is one straight branch by `seq` (each message's parent is
 *   the one before it; a parent left null by an old delete, or two racing sends, is repaired),
 *   and its current message is its last one. `down` keeps the straightened parents: the
 *   pre-tree code reads them as it did.
 */
export class ConversationTrees1796800000000 implements MigrationInterface {
  name = 'ConversationTrees1796800000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "conversations" ADD "current_message_id" uuid`);
    await q.query(`UPDATE "messages" m SET "parent_id" = s."prev"
      FROM (SELECT "id", lag("id") OVER (PARTITION BY "conversation_id" ORDER BY "seq") AS "prev"
              FROM "messages") s
     WHERE m."id" = s."id" AND m."parent_id" IS DISTINCT FROM s."prev"`);
    await q.query(`UPDATE "conversations" c SET "current_message_id" =
      (SELECT m."id" FROM "messages" m WHERE m."conversation_id" = c."id" ORDER BY m."seq" DESC LIMIT 1)`);
    await q.query(`ALTER TABLE "messages" DROP CONSTRAINT "messages_parent_fk"`);
    await q.query(`ALTER TABLE "messages" ADD CONSTRAINT "messages_parent_fk"
      FOREIGN KEY ("parent_id") REFERENCES "messages" ("id") ON DELETE CASCADE`);
    await q.query(`DROP INDEX "public"."messages_parent_id_idx"`);
    await q.query(`CREATE INDEX "messages_parent_seq_idx" ON "messages" ("parent_id", "seq")`);
    await q.query(
      `CREATE INDEX "messages_root_idx" ON "messages" ("conversation_id", "seq") WHERE "parent_id" IS NULL`,
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "public"."messages_root_idx"`);
    await q.query(`DROP INDEX "public"."messages_parent_seq_idx"`);
    await q.query(`CREATE INDEX "messages_parent_id_idx" ON "messages" ("parent_id")`);
    await q.query(`ALTER TABLE "messages" DROP CONSTRAINT "messages_parent_fk"`);
    await q.query(`ALTER TABLE "messages" ADD CONSTRAINT "messages_parent_fk"
      FOREIGN KEY ("parent_id") REFERENCES "messages" ("id") ON DELETE SET NULL`);
    await q.query(`ALTER TABLE "conversations" DROP COLUMN "current_message_id"`);
  }
}
