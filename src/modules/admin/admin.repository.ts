import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { likeContains } from '../../common/sql';
import type { Tx } from '../../database/transactions';
import { MessageEntity } from '../messages/message.entity';
import { UserEntity, UserRole } from '../users/user.entity';

export interface UserFilter {
  page: number;
  size: number;
  search?: string;
  role?: UserRole;
  isActive?: boolean;
  isVip?: boolean;
}

export interface AdminFlags {
  isVip?: boolean;
  isActive?: boolean;
  role?: UserRole;
}

/** Usage of one day (in the range's time zone) and one model. */
export interface UsageRow {
  day: string;
  model: string | null;
  requests: number;
  promptTokens: number;
  completionTokens: number;
}

export interface UsageRange {
  /** First and last day, inclusive, as YYYY-MM-DD in `timeZone`. */
  from: string;
  to: string;
  timeZone: string;
  userId?: string;
}

/**
 * What only administrators read or change across users: the user list, the role/tier/active
 * flags, and usage aggregated from the stored replies.
 */
@Injectable()
export class AdminRepository {
  constructor(
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    @InjectRepository(MessageEntity) private readonly messages: Repository<MessageEntity>,
  ) {}

  private repo(tx?: Tx): Repository<UserEntity> {
    return tx ? tx.getRepository(UserEntity) : this.users;
  }

  /** One page, newest accounts first; `search` matches username or e-mail, case-insensitively. */
  async listUsers(filter: UserFilter): Promise<{ items: UserEntity[]; total: number }> {
    const qb = this.users.createQueryBuilder('u');
    if (filter.search) {
      qb.andWhere("(u.username ILIKE :search ESCAPE '\\' OR u.email ILIKE :search ESCAPE '\\')", {
        search: likeContains(filter.search),
      });
    }
    if (filter.role !== undefined) qb.andWhere('u.role = :role', { role: filter.role });
    if (filter.isActive !== undefined)
      qb.andWhere('u.is_active = :isActive', { isActive: filter.isActive });
    if (filter.isVip !== undefined) qb.andWhere('u.is_vip = :isVip', { isVip: filter.isVip });
    const [items, total] = await qb
      .orderBy('u.createdAt', 'DESC')
      .addOrderBy('u.id', 'ASC')
      .skip((filter.page - 1) * filter.size)
      .take(filter.size)
      .getManyAndCount();
    return { items, total };
  }

  findUser(id: string, tx?: Tx): Promise<UserEntity | null> {
    return this.repo(tx).findOneBy({ id });
  }

  /** A user by exact username or e-mail, case-insensitively (the CLI names users this way). */
  findByLogin(login: string): Promise<UserEntity | null> {
    return this.users
      .createQueryBuilder('u')
      .where('lower(u.username) = lower(:login) OR lower(u.email) = lower(:login)', { login })
      .orderBy('lower(u.username) = lower(:login)', 'DESC')
      .limit(1)
      .getOne();
  }

  /** Locks the user's row until the transaction ends; null when there is no such user. */
  lockUser(id: string, tx: Tx): Promise<UserEntity | null> {
    return tx
      .getRepository(UserEntity)
      .createQueryBuilder('u')
      .where('u.id = :id', { id })
      .setLock('pessimistic_write')
      .getOne();
  }

  /**
   * Locks every active admin's row, in id order (so concurrent callers cannot deadlock), and
   * returns their ids. Two admins demoting each other at once then run one after the other,
   * and the second sees the first's change.
   */
  async lockActiveAdminIds(tx: Tx): Promise<string[]> {
    const rows = await tx
      .getRepository(UserEntity)
      .createQueryBuilder('u')
      .select('u.id', 'id')
      .where("u.role = 'admin' AND u.is_active = true")
      .orderBy('u.id', 'ASC')
      .setLock('pessimistic_write')
      .getRawMany<{ id: string }>();
    return rows.map((r) => r.id);
  }

  async setFlags(id: string, flags: AdminFlags, tx: Tx): Promise<void> {
    const changes: Partial<UserEntity> = {};
    if (flags.isVip !== undefined) changes.isVip = flags.isVip;
    if (flags.isActive !== undefined) changes.isActive = flags.isActive;
    if (flags.role !== undefined) changes.role = flags.role;
    await tx.getRepository(UserEntity).update({ id }, changes);
  }

  /**
   * Replies per day and model over a range of days in a time zone, summed in the database.
   * A request is a reply that was billed (completed, or stopped with its partial text);
   * failed and still-running replies are not counted, as the quota does not count them.
   */
  async usageByDayAndModel(range: UsageRange): Promise<UsageRow[]> {
    const params: unknown[] = [range.from, range.to, range.timeZone];
    let byUser = '';
    if (range.userId !== undefined) {
      params.push(range.userId);
      byUser = 'AND m.user_id = $4';
    }
    // The range's bounds are local midnights in the zone, turned into instants by PostgreSQL
    // (`timestamp AT TIME ZONE zone`), so DST days are 23 or 25 hours long as they should be.
    const rows = await this.messages.query<
      { day: string; model: string | null; requests: string; prompt: string; completion: string }[]
    >(
      `SELECT to_char(m.created_at AT TIME ZONE $3, 'YYYY-MM-DD') AS day,
              m.model,
              count(*)::text AS requests,
              coalesce(sum(m.prompt_tokens), 0)::text AS prompt,
              coalesce(sum(m.completion_tokens), 0)::text AS completion
         FROM messages m
        WHERE m.role = 'assistant'
          AND m.status IN ('completed', 'stopped')
          AND m.created_at >= ($1::date)::timestamp AT TIME ZONE $3
          AND m.created_at < ($2::date + 1)::timestamp AT TIME ZONE $3
          ${byUser}
        GROUP BY 1, 2
        ORDER BY 1, 2 NULLS LAST`,
      params,
    );
    return rows.map((r) => ({
      day: r.day,
      model: r.model,
      requests: Number(r.requests),
      promptTokens: Number(r.prompt),
      completionTokens: Number(r.completion),
    }));
  }

  /** Stored files per user, the largest first (at most `limit` users), and the totals of all. */
  async storageByUser(limit: number): Promise<StorageReportRows> {
    const [users, totals] = await Promise.all([
      this.messages.query<{ user_id: string; username: string; bytes: string; files: number }[]>(
        `SELECT s.user_id, u.username, s.bytes::text AS bytes, s.files
           FROM storage_usage s JOIN users u ON u.id = s.user_id
          WHERE s.files > 0
          ORDER BY s.bytes DESC, s.user_id LIMIT $1`,
        [limit],
      ),
      this.messages.query<{ bytes: string; files: string; users: string }[]>(
        `SELECT coalesce(sum(bytes), 0)::text AS bytes, coalesce(sum(files), 0)::text AS files,
                count(*) FILTER (WHERE files > 0)::text AS users
           FROM storage_usage`,
      ),
    ]);
    return {
      users: users.map((r) => ({
        userId: r.user_id,
        username: r.username,
        bytes: Number(r.bytes),
        files: r.files,
      })),
      bytes: Number(totals[0].bytes),
      files: Number(totals[0].files),
      userCount: Number(totals[0].users),
    };
  }
}

export interface StorageReportRows {
  users: { userId: string; username: string; bytes: number; files: number }[];
  bytes: number;
  files: number;
  userCount: number;
}
