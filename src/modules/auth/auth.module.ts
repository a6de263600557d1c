import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { AuthModuleOptions } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppThrottlerGuard } from '../../common/throttling/app-throttler.guard';
import { AppConfig } from '../../config/app-config';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { MailModule } from '../mail/mail.module';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { AccessTokenVerifier } from './access-token.verifier';
import { AuthService } from './auth.service';
import { accessTokenAuthOptions, JwtAuthGuard } from './jwt-auth.guard';
import { LoginLockout } from './login-lockout';
import { PasswordController } from './password.controller';
import { PasswordHasher } from './password-hasher';
import { PasswordResetEntity } from './password-reset.entity';
import { PasswordResetsRepository } from './password-resets.repository';
import { ResetMailCooldown } from './reset-mail-cooldown';
import { SessionActivity } from './session-activity';
import { SessionCache } from './session-cache';
import { SessionsRepository } from './sessions.repository';
import { TokenService } from './token.service';

@Module({
  imports: [
    ApiKeysModule,
    MailModule,
    UsersModule,
    TypeOrmModule.forFeature([PasswordResetEntity]),
    JwtModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        secret: config.jwtKey,
        signOptions: { algorithm: 'HS256' },
        verifyOptions: { algorithms: ['HS256'] },
      }),
    }),
  ],
  controllers: [AuthController, PasswordController],
  providers: [
    AuthService,
    TokenService,
    PasswordHasher,
    SessionsRepository,
    PasswordResetsRepository,
    AccessTokenVerifier,
    SessionCache,
    LoginLockout,
    ResetMailCooldown,
    SessionActivity,
    {
      provide: AuthModuleOptions,
      inject: [AppConfig, AccessTokenVerifier],
      useFactory: accessTokenAuthOptions,
    },
    // Global guards run in the order they are registered: the rate limits come after the JWT
    // guard so `default` is keyed by the authenticated user (see AppThrottlerGuard).
    { provide: APP_GUARD, useClass: JwtAuthGuard },
    { provide: APP_GUARD, useClass: AppThrottlerGuard },
  ],
  exports: [AuthService, AccessTokenVerifier, SessionsRepository, PasswordHasher],
})
export class AuthModule {}
