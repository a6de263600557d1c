import { Inject, Injectable } from '@nestjs/common';
import { AppError, fieldIssue } from '../../common/errors/app-error';
import { AppConfig } from '../../config/app-config';
import { Transactions, Tx } from '../../database/transactions';
import { EVENT_BUS, type EventBus } from '../../redis/event-bus';
import { MailService } from '../mail/mail.service';
import { toUserResponse } from '../users/dto/user.response';
import { UsersRepository } from '../users/users.repository';
import type { AuthUser, ClientInfo } from './auth-user';
import type {
  ForgotPasswordDto,
  LoginDto,
  LogoutDto,
  RefreshDto,
  RegisterDto,
  ResetPasswordDto,
} from './dto/auth.dto';
import { AuthResponse, TokenPairResponse, toTokenPair } from './dto/auth.response';
import { SessionListResponse, toSessionResponse } from './dto/session.response';
import { LoginLockout, lockoutSubjectOf } from './login-lockout';
import { PasswordHasher } from './password-hasher';
import { PasswordResetsRepository } from './password-resets.repository';
import { ResetMailCooldown } from './reset-mail-cooldown';
import { SessionsRepository } from './sessions.repository';
import { TokenService } from './token.service';

@Injectable()
export class AuthService {
  constructor(
    private readonly config: AppConfig,
    private readonly tx: Transactions,
    private readonly users: UsersRepository,
    private readonly sessions: SessionsRepository,
    private readonly resets: PasswordResetsRepository,
    private readonly hasher: PasswordHasher,
    private readonly tokens: TokenService,
    private readonly mail: MailService,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    private readonly lockout: LoginLockout,
    private readonly resetMailCooldown: ResetMailCooldown,
  ) {}

  async register(dto: RegisterDto, client: ClientInfo): Promise<AuthResponse> {
    const conflicts = await this.users.findConflicts({ username: dto.username, email: dto.email });
    if (conflicts.length > 0) throw AppError.validation(conflicts);
    const passwordHash = await this.hasher.hash(dto.password);
    return this.tx.run(async (tx) => {
      const user = await this.users.create(
        { username: dto.username, email: dto.email, passwordHash },
        tx,
      );
      const pair = await this.openSession(user.id, client, tx);
      return { ...pair, user: toUserResponse(user) };
    });
  }

  async login(dto: LoginDto, client: ClientInfo): Promise<AuthResponse> {
    const user = await this.users.findByLoginWithHash(dto.username);
    // Failures count against the account, whichever of its names was typed (an unknown name
    // against itself, locked the same way). A locked subject is refused before the password is
    // checked, so a right password does not pass.
    const subject = lockoutSubjectOf(
      user?.id ?? (await this.accountOfPaddedName(dto.username)),
      dto.username,
    );
    await this.lockout.assertNotLocked(subject);
    // Unknown accounts verify against a dummy hash: same answer, about the same time.
    const valid = await this.hasher.verify(user?.passwordHash, dto.password);
    if (!user || !valid) {
      await this.lockout.recordFailure(subject);
      throw AppError.unauthenticated('error.invalid_credentials');
    }
    if (!user.isActive) throw AppError.forbidden('error.account_inactive');
    const pair = await this.tx.run((tx) => this.openSession(user.id, client, tx));
    await this.lockout.reset(subject);
    return { ...pair, user: toUserResponse(user) };
  }

  /**
   * A name typed with spaces around it logs in as nothing, but counts against the account the
   * trimmed name is: otherwise the lockout would treat ` alice` apart from `alice` only when alice
   * exists (for an unknown name both are one name), telling which names are accounts.
   */
  private async accountOfPaddedName(login: string): Promise<string | undefined> {
    const trimmed = login.trim();
    if (trimmed === login || trimmed === '') return undefined;
    return (await this.users.findByLoginWithHash(trimmed))?.id;
  }

  /**
   * Rotates a refresh token. Each works once; a concurrent refresh with the same token
   * within the grace gets the same successor; any other reuse ends the whole session.
   */
  async refresh(dto: RefreshDto, client: ClientInfo = {}): Promise<TokenPairResponse> {
    const tokenHash = this.tokens.hashToken(dto.refresh_token);
    const outcome = await this.tx.run(async (tx) => {
      const token = await this.sessions.lockRefreshToken(tokenHash, tx);
      if (!token || token.sessionRevoked || token.expiresAt.getTime() <= Date.now()) return null;
      // An inactive account is refused without using the token up.
      if (!token.userActive) return { kind: 'inactive' as const };
      if (token.usedAt === null) {
        const successor = this.tokens.newOpaqueToken();
        const successorId = await this.sessions.addRefreshToken(
          token.sessionId,
          this.tokens.hashToken(successor),
          this.refreshExpiry(),
          tx,
        );
        await this.sessions.markRefreshTokenUsed(
          token.id,
          successorId,
          this.tokens.seal(successor),
          tx,
        );
        await this.sessions.markRefreshed(token.sessionId, client, tx);
        return {
          kind: 'rotated' as const,
          userId: token.userId,
          sessionId: token.sessionId,
          refreshToken: successor,
        };
      }
      const withinGrace =
        Date.now() - token.usedAt.getTime() <= this.config.refreshReuseGraceSeconds * 1000;
      if (withinGrace && token.successorId && token.successorSealed) {
        const successor = this.tokens.unseal(token.successorSealed);
        if (successor && (await this.sessions.isRefreshTokenUnused(token.successorId, tx))) {
          return {
            kind: 'rotated' as const,
            userId: token.userId,
            sessionId: token.sessionId,
            refreshToken: successor,
          };
        }
      }
      // A used token presented again: treat as theft and end the session family.
      await this.sessions.revoke(token.sessionId, 'refresh_reuse', tx);
      return { kind: 'reused' as const, userId: token.userId, sessionId: token.sessionId };
    });
    if (outcome?.kind === 'reused') {
      await this.bus.publish('session.revoked', {
        userId: outcome.userId,
        sessionIds: [outcome.sessionId],
      });
    }
    if (!outcome || outcome.kind === 'reused')
      throw AppError.unauthenticated('error.invalid_refresh_token');
    if (outcome.kind === 'inactive') throw AppError.forbidden('error.account_inactive');
    return toTokenPair(
      this.tokens.signAccess(outcome.userId, outcome.sessionId),
      outcome.refreshToken,
      this.config.accessTtlSeconds,
    );
  }

  async logout(user: AuthUser, dto: LogoutDto): Promise<null> {
    await this.sessions.revoke(user.sessionId, 'logout');
    const ended = [user.sessionId];
    if (dto.refresh_token) {
      const other = await this.sessions.revokeSessionOfRefreshToken(
        this.tokens.hashToken(dto.refresh_token),
        user.id,
        'logout',
      );
      if (other) ended.push(other);
    }
    await this.bus.publish('session.revoked', { userId: user.id, sessionIds: ended });
    return null;
  }

  /** The caller's sessions that can still be used, the one making the request marked `current`. */
  async listSessions(user: AuthUser): Promise<SessionListResponse> {
    const sessions = await this.sessions.listActive(user.id);
    return { sessions: sessions.map((s) => toSessionResponse(s, user.sessionId)) };
  }

  /**
   * Ends one of the caller's sessions (the current one too: that is a logout): its tokens stop
   * working, its WebSockets close with 4401 and its SSE streams end with an error event, on every
   * replica. Another user's session, an unknown or an ended one: 404.
   */
  async revokeSession(user: AuthUser, sessionId: string): Promise<null> {
    const revoked = await this.sessions.revokeOwned(sessionId, user.id, 'revoked_by_owner');
    if (!revoked) throw AppError.notFound();
    await this.bus.publish('session.revoked', { userId: user.id, sessionIds: [sessionId] });
    return null;
  }

  async forgotPassword(dto: ForgotPasswordDto): Promise<null> {
    // The cooldown is taken for every address, known or not, before the lookup: the same work
    // and the same answer either way.
    const mayMail = await this.resetMailCooldown.take(dto.email);
    const user = await this.users.findActiveByEmail(dto.email);
    if (!user || !mayMail) return null;
    const token = this.tokens.newOpaqueToken();
    const ttl = this.config.passwordResetTtlSeconds;
    await this.resets.create(
      user.id,
      this.tokens.hashToken(token),
      new Date(Date.now() + ttl * 1000),
    );
    const link = `${this.config.env.PUBLIC_URL.replace(/\/+$/, '')}/reset-password?token=${encodeURIComponent(token)}`;
    const minutes = Math.round(ttl / 60);
    this.mail.sendInBackground({
      to: user.email,
      subject: 'Reset your password',
      text:
        `Hello ${user.username},\n\nSomeone asked to reset the password of your account.\n` +
        `Open this link within ${minutes} minutes to choose a new one:\n${link}\n\n` +
        `Or use this reset token: ${token}\n\nIf it was not you, ignore this e-mail: your password stays as it is.\n`,
    });
    return null;
  }

  async resetPassword(dto: ResetPasswordDto): Promise<null> {
    const passwordHash = await this.hasher.hash(dto.new_password);
    const done = await this.tx.run(async (tx) => {
      const userId = await this.resets.consume(this.tokens.hashToken(dto.token), tx);
      if (!userId) return false;
      await this.users.setPasswordHash(userId, passwordHash, tx);
      await this.resets.invalidateAllOfUser(userId, tx);
      await this.sessions.revokeAllOfUser(userId, 'password_reset', tx);
      return userId;
    });
    if (!done) throw AppError.validation([fieldIssue('token', 'issue.reset_token_invalid')]);
    await this.bus.publish('session.revoked', { userId: done, allExcept: null });
    return null;
  }

  /** Used by change-password: checks the current password, stores the new one, ends the other sessions. */
  async changePassword(user: AuthUser, current: string, next: string): Promise<void> {
    const hash = await this.users.passwordHashOf(user.id);
    if (!(await this.hasher.verify(hash, current))) {
      throw AppError.validation([fieldIssue('current_password', 'issue.current_password_wrong')]);
    }
    if (current === next)
      throw AppError.validation([fieldIssue('new_password', 'issue.password_unchanged')]);
    const passwordHash = await this.hasher.hash(next);
    await this.tx.run(async (tx) => {
      await this.users.setPasswordHash(user.id, passwordHash, tx);
      await this.sessions.revokeAllOfUser(user.id, 'password_change', tx, user.sessionId);
    });
    await this.bus.publish('session.revoked', { userId: user.id, allExcept: user.sessionId });
  }

  private async openSession(
    userId: string,
    client: ClientInfo,
    tx: Tx,
  ): Promise<TokenPairResponse> {
    const sessionId = await this.sessions.create(userId, client, tx);
    const refreshToken = this.tokens.newOpaqueToken();
    await this.sessions.addRefreshToken(
      sessionId,
      this.tokens.hashToken(refreshToken),
      this.refreshExpiry(),
      tx,
    );
    return toTokenPair(
      this.tokens.signAccess(userId, sessionId),
      refreshToken,
      this.config.accessTtlSeconds,
    );
  }

  private refreshExpiry(): Date {
    return new Date(Date.now() + this.config.refreshTtlSeconds * 1000);
  }
}
