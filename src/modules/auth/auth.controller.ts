import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  ApiBodyErrors,
  ApiBodyExample,
  ApiEnvelopedResponse,
  ApiErrorResponses,
  ApiProtected,
  ApiRateLimited,
  ApiUuidParam,
} from '../../common/openapi/decorators';
import { EXAMPLE_RESET_PASSWORD, EXAMPLE_USER } from '../../common/openapi/examples';
import { ParseUuidPipe } from '../../common/pipes/uuid.pipe';
import { Client, CurrentUser } from '../../common/decorators/current-user.decorator';
import { Public, ResponseMessage } from '../../common/decorators/http.decorators';
import { AuthRateLimit, RecoveryRateLimit } from '../../common/throttling/throttle.decorators';
import type { AuthUser, ClientInfo } from './auth-user';
import { AuthService } from './auth.service';
import { AuthResultModel, TokenPairModel } from './dto/auth.model';
import { SessionListModel } from './dto/session.model';
import {
  ForgotPasswordDto,
  LoginDto,
  LogoutDto,
  RefreshDto,
  RegisterDto,
  ResetPasswordDto,
} from './dto/auth.dto';

@ApiTags('auth')
@ApiRateLimited()
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @AuthRateLimit()
  @Post('register')
  @ResponseMessage('auth.registered')
  @ApiOperation({ summary: 'Create an account and sign in' })
  @ApiEnvelopedResponse(AuthResultModel, { status: 201 })
  @ApiBodyExample(RegisterDto, 'A new account', {
    ...EXAMPLE_USER,
    confirm_password: EXAMPLE_USER.password,
  })
  @ApiBodyErrors()
  @ApiErrorResponses(503)
  register(@Body() dto: RegisterDto, @Client() client: ClientInfo) {
    return this.auth.register(dto, client);
  }

  @Public()
  @AuthRateLimit()
  @Post('login')
  @HttpCode(200)
  @ResponseMessage('auth.logged_in')
  @ApiOperation({ summary: 'Sign in with a username or e-mail and a password' })
  @ApiEnvelopedResponse(AuthResultModel)
  @ApiBodyExample(LoginDto, 'The account of the register example', {
    username: EXAMPLE_USER.username,
    password: EXAMPLE_USER.password,
  })
  @ApiBodyErrors()
  @ApiErrorResponses(401, 403, 503)
  login(@Body() dto: LoginDto, @Client() client: ClientInfo) {
    return this.auth.login(dto, client);
  }

  @Public()
  @AuthRateLimit()
  @Post('refresh')
  @HttpCode(200)
  @ResponseMessage('auth.refreshed')
  @ApiOperation({ summary: 'Exchange a refresh token (once) for a new token pair' })
  @ApiEnvelopedResponse(TokenPairModel)
  @ApiBodyExample(RefreshDto, 'Paste the refresh_token of the login answer', {
    refresh_token: '<refresh_token of the login answer>',
  })
  @ApiBodyErrors()
  @ApiErrorResponses(401, 403, 503)
  refresh(@Body() dto: RefreshDto, @Client() client: ClientInfo) {
    return this.auth.refresh(dto, client);
  }

  @RecoveryRateLimit()
  @Post('logout')
  @HttpCode(200)
  @ResponseMessage('auth.logged_out')
  @ApiOperation({ summary: "End the access token's session" })
  @ApiProtected()
  @ApiEnvelopedResponse(null)
  @ApiBodyExample(LogoutDto, "Ends the access token's session", {})
  @ApiBodyErrors()
  logout(@CurrentUser() user: AuthUser, @Body() dto: LogoutDto) {
    return this.auth.logout(user, dto);
  }

  @RecoveryRateLimit()
  @Get('sessions')
  @ResponseMessage('auth.sessions')
  @ApiOperation({
    summary: "The caller's sessions (signed-in devices)",
    description:
      'Sessions not ended and not expired, with the client and address of their login or latest ' +
      'refresh; `current` marks the one of this token. Counted by its own small budget, not by ' +
      '`default`.',
  })
  @ApiProtected()
  @ApiEnvelopedResponse(SessionListModel)
  listSessions(@CurrentUser() user: AuthUser) {
    return this.auth.listSessions(user);
  }

  @RecoveryRateLimit()
  @Delete('sessions/:id')
  @HttpCode(200)
  @ResponseMessage('auth.session_revoked')
  @ApiOperation({
    summary: "End one of the caller's sessions",
    description:
      'Its access and refresh tokens stop working at once, its WebSockets close (4401) and its ' +
      "event streams end with an `error` event AUTHENTICATION_ERROR. Another user's session, " +
      'an unknown or an ended one: 404.',
  })
  @ApiUuidParam('id', 'Session id (from GET /auth/sessions)')
  @ApiProtected()
  @ApiEnvelopedResponse(null)
  @ApiErrorResponses(400, 404)
  revokeSession(@CurrentUser() user: AuthUser, @Param('id', ParseUuidPipe) id: string) {
    return this.auth.revokeSession(user, id);
  }

  @Public()
  @AuthRateLimit({ byName: false })
  @Post('forgot-password')
  @HttpCode(200)
  @ResponseMessage('auth.reset_requested')
  @ApiOperation({
    summary: 'E-mail a password reset link',
    description:
      'The same answer whether or not the e-mail is known. Limited per client IP (429); per ' +
      'address, at most one mail goes out per PASSWORD_RESET_MAIL_COOLDOWN_SECONDS — a request ' +
      'within it gets the same answer and sends nothing.',
  })
  @ApiEnvelopedResponse(null)
  @ApiBodyExample(ForgotPasswordDto, 'The e-mail of the register example', {
    email: EXAMPLE_USER.email,
  })
  @ApiBodyErrors()
  @ApiErrorResponses(503)
  forgotPassword(@Body() dto: ForgotPasswordDto) {
    return this.auth.forgotPassword(dto);
  }

  @Public()
  @AuthRateLimit()
  @Post('reset-password')
  @HttpCode(200)
  @ResponseMessage('auth.password_reset')
  @ApiOperation({
    summary: 'Set a new password with a reset token',
    description: 'The token works once, within its lifetime; every session of the user ends.',
  })
  @ApiEnvelopedResponse(null)
  @ApiBodyExample(ResetPasswordDto, 'Paste the token of the reset e-mail', {
    token: '<token of the reset e-mail>',
    new_password: EXAMPLE_RESET_PASSWORD,
    confirm_password: EXAMPLE_RESET_PASSWORD,
  })
  @ApiBodyErrors()
  @ApiErrorResponses(503)
  resetPassword(@Body() dto: ResetPasswordDto) {
    return this.auth.resetPassword(dto);
  }
}
