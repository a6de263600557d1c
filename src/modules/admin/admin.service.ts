import { Inject, Injectable } from '@nestjs/common';
import { validate } from 'class-validator';
import { plainToInstance } from 'class-transformer';
import { AppError, fieldIssue } from '../../common/errors/app-error';
import { paginationOf } from '../../common/http/pagination';
import { toFieldIssues } from '../../common/pipes/validation';
import { AppConfig } from '../../config/app-config';
import { Transactions } from '../../database/transactions';
import { EVENT_BUS, type EventBus } from '../../redis/event-bus';
import type { AuthUser } from '../auth/auth-user';
import { PasswordHasher } from '../auth/password-hasher';
import { SessionsRepository } from '../auth/sessions.repository';
import { ModelsCatalog } from '../llm/models.catalog';
import { QuotaService } from '../quota/quota.service';
import { quotaWindows } from '../quota/quota-windows';
import { toQuotaResponse } from '../users/dto/user.response';
import type { UserEntity } from '../users/user.entity';
import { UsersRepository } from '../users/users.repository';
import { AdminFlags, AdminRepository } from './admin.repository';
import {
  CreateAdminDto,
  ListUsersQueryDto,
  UpdateUserAdminDto,
  UsageQueryDto,
} from './dto/admin.dto';
import {
  AdminUserListResponse,
  AdminUserResponse,
  toAdminUserResponse,
  AdminUsageResponse,
  toStorageReport,
  toUsageResponse,
  UserUsageResponse,
} from './dto/admin.response';

/** Usage ranges default to the last 30 days (today included) and may span at most a year. */
export const DEFAULT_USAGE_DAYS = 30;
export const MAX_USAGE_DAYS = 366;

/** Users listed by the usage report's storage part (the largest holders). */
const STORAGE_REPORT_USERS = 100;
const DAY_MS = 86_400_000;
const dayNumber = (ymd: string) => Date.parse(`${ymd}T00:00:00Z`) / DAY_MS;
const addDays = (ymd: string, days: number) =>
  new Date(Date.parse(`${ymd}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);

/**
 * Administration: users (list, role, tier, active) and usage. `actor` is the admin calling
 * over HTTP, or null for the operator's command line (which has no account of its own).
 */
@Injectable()
export class AdminService {
  constructor(
    private readonly config: AppConfig,
    private readonly tx: Transactions,
    private readonly admin: AdminRepository,
    private readonly users: UsersRepository,
    private readonly sessions: SessionsRepository,
    private readonly hasher: PasswordHasher,
    private readonly quota: QuotaService,
    private readonly models: ModelsCatalog,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
  ) {}

  async listUsers(query: ListUsersQueryDto): Promise<AdminUserListResponse> {
    const { items, total } = await this.admin.listUsers({
      page: query.page,
      size: query.size,
      search: query.search,
      role: query.role,
      isActive: query.is_active,
      isVip: query.is_vip,
    });
    return {
      users: items.map(toAdminUserResponse),
      pagination: paginationOf(query.page, query.size, total),
    };
  }

  /**
   * Changes role, tier and/or active flag. An admin cannot demote or deactivate themselves,
   * and no change may leave the service without an active admin. Deactivating ends every
   * session of the user in the same transaction; their sockets then close on every replica.
   */
  async updateUser(
    actor: AuthUser | null,
    id: string,
    dto: UpdateUserAdminDto,
  ): Promise<AdminUserResponse> {
    if (dto.is_vip === undefined && dto.is_active === undefined && dto.role === undefined) {
      throw AppError.validation([fieldIssue('body', 'issue.nothing_to_update_admin')]);
    }
    if (actor?.id === id) {
      const issues = [];
      if (dto.role !== undefined && dto.role !== 'admin')
        issues.push(fieldIssue('role', 'issue.admin_self_demotion'));
      if (dto.is_active === false)
        issues.push(fieldIssue('is_active', 'issue.admin_self_demotion'));
      if (issues.length > 0) throw AppError.validation(issues);
    }
    const flags: AdminFlags = { isVip: dto.is_vip, isActive: dto.is_active, role: dto.role };
    const mayRemoveAdmin = dto.role === 'user' || dto.is_active === false;

    const outcome = await this.tx.run(async (tx) => {
      // Admins first, then the target: every caller locks in the same order.
      const admins = mayRemoveAdmin ? await this.admin.lockActiveAdminIds(tx) : [];
      const target = await this.admin.lockUser(id, tx);
      if (!target) return null;
      if (mayRemoveAdmin && admins.includes(id) && admins.length === 1) {
        throw AppError.validation([
          fieldIssue(dto.role === 'user' ? 'role' : 'is_active', 'issue.last_admin'),
        ]);
      }
      await this.admin.setFlags(id, flags, tx);
      const deactivated = dto.is_active === false;
      if (deactivated) await this.sessions.revokeAllOfUser(id, 'deactivated', tx);
      return { user: (await this.admin.findUser(id, tx)) as UserEntity, deactivated };
    });
    if (!outcome) throw AppError.notFound();
    if (outcome.deactivated) {
      await this.bus.publish('session.revoked', { userId: id, allExcept: null });
    }
    // Role, tier or reactivation: every replica drops what it cached of the user's sessions.
    await this.bus.publish('user.updated', { userId: id });
    return toAdminUserResponse(outcome.user);
  }

  async userUsage(id: string, query: UsageQueryDto): Promise<UserUsageResponse> {
    const user = await this.admin.findUser(id);
    if (!user) throw AppError.notFound();
    const range = this.rangeOf(query);
    const [rows, snapshot] = await Promise.all([
      this.admin.usageByDayAndModel({ ...range, userId: id }),
      this.quota.snapshot(user),
    ]);
    return {
      user: toAdminUserResponse(user),
      quota: toQuotaResponse(snapshot),
      ...toUsageResponse(rows, range, (model) => this.models.get(model)?.cost_per_1k_tokens),
    };
  }

  async usage(query: UsageQueryDto): Promise<AdminUsageResponse> {
    const range = this.rangeOf(query);
    const [rows, storage] = await Promise.all([
      this.admin.usageByDayAndModel(range),
      this.admin.storageByUser(STORAGE_REPORT_USERS),
    ]);
    return {
      ...toUsageResponse(rows, range, (model) => this.models.get(model)?.cost_per_1k_tokens),
      storage: toStorageReport(storage),
    };
  }

  /** The command line's create-admin: registration's rules, then the admin role. */
  async createAdmin(input: CreateAdminDto): Promise<AdminUserResponse> {
    const dto = plainToInstance(CreateAdminDto, input);
    const errors = await validate(dto, { whitelist: true, forbidNonWhitelisted: true });
    if (errors.length > 0) throw AppError.validation(toFieldIssues(errors));
    const conflicts = await this.users.findConflicts({ username: dto.username, email: dto.email });
    if (conflicts.length > 0) throw AppError.validation(conflicts);
    const passwordHash = await this.hasher.hash(dto.password);
    const user = await this.tx.run(async (tx) => {
      const created = await this.users.create(
        { username: dto.username, email: dto.email, passwordHash },
        tx,
      );
      await this.admin.setFlags(created.id, { role: 'admin' }, tx);
      return (await this.admin.findUser(created.id, tx)) as UserEntity;
    });
    return toAdminUserResponse(user);
  }

  /** The command line names users by username or e-mail. */
  async findByLogin(login: string): Promise<AdminUserResponse> {
    const user = await this.admin.findByLogin(login);
    if (!user) throw AppError.notFound('error.user_not_found');
    return toAdminUserResponse(user);
  }

  /** from/to (inclusive days in QUOTA_TIMEZONE); default the last 30 days up to today. */
  private rangeOf(query: UsageQueryDto): { from: string; to: string; timeZone: string } {
    const timeZone = this.config.env.QUOTA_TIMEZONE;
    const today = quotaWindows(new Date(), timeZone).day;
    const to = query.to ?? (query.from ? addDays(query.from, DEFAULT_USAGE_DAYS - 1) : today);
    const from = query.from ?? addDays(to, -(DEFAULT_USAGE_DAYS - 1));
    const span = dayNumber(to) - dayNumber(from) + 1;
    if (span < 1)
      throw AppError.validation(
        [fieldIssue('from', 'issue.usage_range_reversed')],
        'malformed',
        'error.bad_request',
      );
    if (span > MAX_USAGE_DAYS)
      throw AppError.validation(
        [fieldIssue('to', 'issue.usage_range_too_long')],
        'malformed',
        'error.bad_request',
      );
    return { from, to, timeZone };
  }
}
