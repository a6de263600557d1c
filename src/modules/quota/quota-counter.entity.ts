import { Check, Column, Entity, JoinColumn, OneToOne, PrimaryColumn } from 'typeorm';
import { UserEntity } from '../users/user.entity';

/** The current day's and month's usage of one user (dates in the quota time zone). */
@Entity({ name: 'quota_counters' })
@Check(
  'quota_counters_nonnegative_ck',
  `"day_requests" >= 0 AND "day_tokens" >= 0 AND "month_requests" >= 0 AND "month_tokens" >= 0`,
)
export class QuotaCounterEntity {
  @PrimaryColumn({ name: 'user_id', type: 'uuid', primaryKeyConstraintName: 'quota_counters_pk' })
  userId!: string;

  @OneToOne(() => UserEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'quota_counters_user_fk' })
  user?: UserEntity;

  @Column({ type: 'date' })
  day!: string;

  @Column({ name: 'day_requests', type: 'integer', default: 0 })
  dayRequests!: number;

  @Column({ name: 'day_tokens', type: 'integer', default: 0 })
  dayTokens!: number;

  @Column({ type: 'date' })
  month!: string;

  @Column({ name: 'month_requests', type: 'integer', default: 0 })
  monthRequests!: number;

  @Column({ name: 'month_tokens', type: 'integer', default: 0 })
  monthTokens!: number;

  /** Tokens granted by the latest reservation (read back by the reserving statement). */
  @Column({ name: 'last_grant', type: 'integer', default: 0 })
  lastGrant!: number;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
