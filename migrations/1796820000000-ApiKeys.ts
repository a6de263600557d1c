import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * API keys (API.md §12): long-lived credentials a user makes for scripts and tools.
 * - Only an HMAC of the key is stored (`hash`, unique: a lookup by hash is the whole check);
 *   `prefix` is the key's first characters, shown so a user can tell keys apart.
 * - A key is live while `revoked_at` is null and `expires_at` is null or in the future. The
 *   partial index serves both the owner's list and the count of live keys at creation.
 */
export class ApiKeys1796820000000 implements MigrationInterface {
  name = 'ApiKeys1796820000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "api_keys" (
      "id" uuid NOT NULL DEFAULT gen_random_uuid(),
      "user_id" uuid NOT NULL,
      "name" character varying(100) NOT NULL,
      "prefix" character varying(16) NOT NULL,
      "hash" character(64) NOT NULL,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      "expires_at" TIMESTAMP WITH TIME ZONE,
      "last_used_at" TIMESTAMP WITH TIME ZONE,
      "revoked_at" TIMESTAMP WITH TIME ZONE,
      CONSTRAINT "api_keys_pk" PRIMARY KEY ("id"),
      CONSTRAINT "api_keys_hash_unique" UNIQUE ("hash"),
      CONSTRAINT "api_keys_name_check" CHECK (char_length("name") >= 1),
      CONSTRAINT "api_keys_user_fk" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE)`);
    await q.query(
      `CREATE INDEX "api_keys_user_created_idx" ON "api_keys" ("user_id", "created_at" DESC)`,
    );
    await q.query(
      `CREATE INDEX "api_keys_user_unrevoked_idx" ON "api_keys" ("user_id") WHERE "revoked_at" IS NULL`,
    );
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "api_keys_user_unrevoked_idx"`);
    await q.query(`DROP INDEX "api_keys_user_created_idx"`);
    await q.query(`DROP TABLE "api_keys"`);
  }
}
