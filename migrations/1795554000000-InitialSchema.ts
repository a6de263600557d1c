import { MigrationInterface, QueryRunner } from 'typeorm';

/** Users, sessions with rotating refresh tokens, and password resets. */
export class InitialSchema1795554000000 implements MigrationInterface {
  name = 'InitialSchema1795554000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE "users" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "username" varchar(50) NOT NULL,
        "email" varchar(254) NOT NULL,
        "password_hash" varchar(255) NOT NULL,
        "role" varchar(16) NOT NULL DEFAULT 'user',
        "is_active" boolean NOT NULL DEFAULT true,
        "is_vip" boolean NOT NULL DEFAULT false,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "users_pk" PRIMARY KEY ("id"),
        CONSTRAINT "users_role_ck" CHECK ("role" IN ('user', 'admin')),
        CONSTRAINT "users_username_length_ck" CHECK (char_length("username") BETWEEN 3 AND 50)
      )`);
    await q.query(`CREATE UNIQUE INDEX "users_username_lower_uq" ON "users" (lower("username"))`);
    await q.query(`CREATE UNIQUE INDEX "users_email_lower_uq" ON "users" (lower("email"))`);

    await q.query(`
      CREATE TABLE "sessions" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "user_id" uuid NOT NULL,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "revoked_at" timestamptz,
        "revoke_reason" varchar(32),
        "user_agent" varchar(255),
        "ip" varchar(64),
        CONSTRAINT "sessions_pk" PRIMARY KEY ("id"),
        CONSTRAINT "sessions_user_fk" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE
      )`);
    await q.query(`CREATE INDEX "sessions_user_id_idx" ON "sessions" ("user_id")`);

    await q.query(`
      CREATE TABLE "refresh_tokens" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "session_id" uuid NOT NULL,
        "token_hash" char(64) NOT NULL,
        "expires_at" timestamptz NOT NULL,
        "used_at" timestamptz,
        "successor_id" uuid,
        "successor_sealed" text,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "refresh_tokens_pk" PRIMARY KEY ("id"),
        CONSTRAINT "refresh_tokens_session_fk" FOREIGN KEY ("session_id") REFERENCES "sessions" ("id") ON DELETE CASCADE,
        CONSTRAINT "refresh_tokens_successor_fk" FOREIGN KEY ("successor_id") REFERENCES "refresh_tokens" ("id") ON DELETE SET NULL
      )`);
    await q.query(
      `CREATE UNIQUE INDEX "refresh_tokens_token_hash_uq" ON "refresh_tokens" ("token_hash")`,
    );
    await q.query(
      `CREATE INDEX "refresh_tokens_session_id_idx" ON "refresh_tokens" ("session_id")`,
    );

    await q.query(`
      CREATE TABLE "password_resets" (
        "id" uuid NOT NULL DEFAULT gen_random_uuid(),
        "user_id" uuid NOT NULL,
        "token_hash" char(64) NOT NULL,
        "expires_at" timestamptz NOT NULL,
        "used_at" timestamptz,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT "password_resets_pk" PRIMARY KEY ("id"),
        CONSTRAINT "password_resets_user_fk" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE
      )`);
    await q.query(
      `CREATE UNIQUE INDEX "password_resets_token_hash_uq" ON "password_resets" ("token_hash")`,
    );
    await q.query(`CREATE INDEX "password_resets_user_id_idx" ON "password_resets" ("user_id")`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "password_resets"`);
    await q.query(`DROP TABLE "refresh_tokens"`);
    await q.query(`DROP TABLE "sessions"`);
    await q.query(`DROP TABLE "users"`);
  }
}
