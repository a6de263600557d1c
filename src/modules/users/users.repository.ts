import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { QueryFailedError, Repository } from 'typeorm';
import { AppError, fieldIssue, FieldIssue } from '../../common/errors/app-error';
import { UNIQUE_VIOLATION } from '../../common/errors/database-errors';
import type { Tx } from '../../database/transactions';
import { UserEntity } from './user.entity';

export interface NewUser {
  username: string;
  email: string;
  passwordHash: string;
}

/** Maps a unique-index violation on users to the field it concerns. */
function conflictOf(error: unknown): AppError | null {
  if (!(error instanceof QueryFailedError)) return null;
  const driver = error.driverError as { code?: string; constraint?: string };
  if (driver.code !== UNIQUE_VIOLATION) return null;
  if (driver.constraint === 'users_username_lower_uq') {
    return AppError.validation([fieldIssue('username', 'issue.username_taken')]);
  }
  if (driver.constraint === 'users_email_lower_uq') {
    return AppError.validation([fieldIssue('email', 'issue.email_taken')]);
  }
  return null;
}

@Injectable()
export class UsersRepository {
  constructor(@InjectRepository(UserEntity) private readonly users: Repository<UserEntity>) {}

  private repo(tx?: Tx): Repository<UserEntity> {
    return tx ? tx.getRepository(UserEntity) : this.users;
  }

  findById(id: string, tx?: Tx): Promise<UserEntity | null> {
    return this.repo(tx).findOne({ where: { id } });
  }

  /** A user by username or e-mail, case-insensitively, with the password hash. */
  findByLoginWithHash(login: string): Promise<UserEntity | null> {
    return this.users
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('lower(u.username) = lower(:login) OR lower(u.email) = lower(:login)', { login })
      .orderBy('lower(u.username) = lower(:login)', 'DESC')
      .limit(1)
      .getOne();
  }

  findActiveByEmail(email: string): Promise<UserEntity | null> {
    return this.users
      .createQueryBuilder('u')
      .where('lower(u.email) = lower(:email)', { email })
      .andWhere('u.is_active = true')
      .getOne();
  }

  async passwordHashOf(id: string): Promise<string | null> {
    const user = await this.users
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('u.id = :id', { id })
      .getOne();
    return user?.passwordHash ?? null;
  }

  /** The fields among username/e-mail that another user already has (case-insensitive). */
  async findConflicts(
    candidate: { username?: string; email?: string },
    exceptId?: string,
  ): Promise<FieldIssue[]> {
    if (!candidate.username && !candidate.email) return [];
    const qb = this.users.createQueryBuilder('u').select(['u.id', 'u.username', 'u.email']);
    qb.where('(lower(u.username) = lower(:username) OR lower(u.email) = lower(:email))', {
      username: candidate.username ?? null,
      email: candidate.email ?? null,
    });
    if (exceptId) qb.andWhere('u.id <> :exceptId', { exceptId });
    const clashes = await qb.getMany();
    const issues: FieldIssue[] = [];
    const lower = (s?: string) => s?.toLowerCase();
    if (
      candidate.username &&
      clashes.some((u) => lower(u.username) === lower(candidate.username))
    ) {
      issues.push(fieldIssue('username', 'issue.username_taken'));
    }
    if (candidate.email && clashes.some((u) => lower(u.email) === lower(candidate.email))) {
      issues.push(fieldIssue('email', 'issue.email_taken'));
    }
    return issues;
  }

  async create(user: NewUser, tx: Tx): Promise<UserEntity> {
    try {
      const repo = this.repo(tx);
      const saved = await repo.save(repo.create(user));
      return await repo.findOneOrFail({ where: { id: saved.id } });
    } catch (error) {
      throw conflictOf(error) ?? error;
    }
  }

  async updateProfile(
    id: string,
    changes: { username?: string; email?: string },
  ): Promise<UserEntity> {
    try {
      await this.users.update({ id }, changes);
    } catch (error) {
      throw conflictOf(error) ?? error;
    }
    return this.users.findOneOrFail({ where: { id } });
  }

  async setPasswordHash(id: string, passwordHash: string, tx: Tx): Promise<void> {
    await this.repo(tx).update({ id }, { passwordHash });
  }
}
