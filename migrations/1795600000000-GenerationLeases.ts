import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Generations have owners: each process running replies keeps a lease row (renewed while it
 * lives), and each running reply a lease naming its owner and the quota it holds. A reply
 * whose owner's lease expired (the process was killed) is closed by a sweeper on any replica.
 * No foreign key to messages: a reply whose conversation was deleted is still settled.
 */
export class GenerationLeases1795600000000 implements MigrationInterface {
  name = 'GenerationLeases1795600000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "generation_owners" (
      "id" character varying(64) NOT NULL,
      "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
      CONSTRAINT "generation_owners_pk" PRIMARY KEY ("id"))`);
    await q.query(`CREATE TABLE "generation_leases" (
      "message_id" uuid NOT NULL,
      "owner" character varying(64) NOT NULL,
      "user_id" uuid NOT NULL,
      "day" date NOT NULL,
      "month" date NOT NULL,
      "granted" integer NOT NULL,
      "prompt_tokens" integer NOT NULL,
      "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
      CONSTRAINT "generation_leases_pk" PRIMARY KEY ("message_id"))`);
    await q.query(`CREATE INDEX "generation_leases_owner_idx" ON "generation_leases" ("owner")`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "public"."generation_leases_owner_idx"`);
    await q.query(`DROP TABLE "generation_leases"`);
    await q.query(`DROP TABLE "generation_owners"`);
  }
}
