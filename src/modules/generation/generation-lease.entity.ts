import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** A process that runs replies, alive while `expiresAt` is ahead (it renews it). */
@Entity({ name: 'generation_owners' })
export class GenerationOwnerEntity {
  @PrimaryColumn({ type: 'varchar', length: 64, primaryKeyConstraintName: 'generation_owners_pk' })
  id!: string;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;
}

/**
 * A running reply: who runs it and the quota it holds, so that another replica can close it
 * and settle the reservation when its owner is gone. Removed by the reply's closing statement.
 */
@Entity({ name: 'generation_leases' })
export class GenerationLeaseEntity {
  @PrimaryColumn({
    name: 'message_id',
    type: 'uuid',
    primaryKeyConstraintName: 'generation_leases_pk',
  })
  messageId!: string;

  @Index('generation_leases_owner_idx')
  @Column({ type: 'varchar', length: 64 })
  owner!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ type: 'date' })
  day!: string;

  @Column({ type: 'date' })
  month!: string;

  @Column({ type: 'integer' })
  granted!: number;

  @Column({ name: 'prompt_tokens', type: 'integer' })
  promptTokens!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
