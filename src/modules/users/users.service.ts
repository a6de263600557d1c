import { Inject, Injectable } from '@nestjs/common';
import { AppError, fieldIssue } from '../../common/errors/app-error';
import { EVENT_BUS, type EventBus } from '../../redis/event-bus';
import type { AuthUser } from '../auth/auth-user';
import { QuotaService } from '../quota/quota.service';
import {
  ProfileResponse,
  QuotaResponse,
  toProfileResponse,
  toQuotaResponse,
} from './dto/user.response';
import type { UpdateUserDto } from './dto/update-user.dto';
import { UsersRepository } from './users.repository';

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly quota: QuotaService,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
  ) {}

  async profile(actor: AuthUser): Promise<ProfileResponse> {
    const user = await this.users.findById(actor.id);
    if (!user) throw AppError.notFound();
    return toProfileResponse(user, await this.quota.snapshot(user));
  }

  async update(actor: AuthUser, dto: UpdateUserDto): Promise<ProfileResponse> {
    if (dto.username === undefined && dto.email === undefined) {
      throw AppError.validation([fieldIssue('body', 'issue.nothing_to_update')]);
    }
    const conflicts = await this.users.findConflicts(dto, actor.id);
    if (conflicts.length > 0) throw AppError.validation(conflicts);
    const user = await this.users.updateProfile(actor.id, {
      username: dto.username,
      email: dto.email,
    });
    // Sessions cached on any replica carry the old username.
    if (dto.username !== undefined) await this.bus.publish('user.updated', { userId: actor.id });
    return toProfileResponse(user, await this.quota.snapshot(user));
  }

  async quotaOf(actor: AuthUser): Promise<QuotaResponse> {
    return toQuotaResponse(await this.quota.snapshot({ id: actor.id, isVip: actor.isVip }));
  }
}
