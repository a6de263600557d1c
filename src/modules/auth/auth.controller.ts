import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  ApiBodyErrors,
  ApiEnvelopedResponse,
  ApiErrorResponses,
  ApiProtected,
  ApiRateLimited,
} from '../../common/openapi/decorators';
import { Client, CurrentUser } from '../../common/decorators/current-user.decorator';
import { Public, ResponseMessage } from '../../common/decorators/http.decorators';
import { AuthRateLimit } from '../../common/throttling/throttle.decorators';
import type { AuthUser, ClientInfo } from './auth-user';
import { AuthService } from './auth.service';
import { AuthResultModel, TokenPairModel } from './dto/auth.model';
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
  @ApiBodyErrors()
  @ApiErrorResponses(401, 403, 503)
  refresh(@Body() dto: RefreshDto) {
    return this.auth.refresh(dto);
  }

  @Post('logout')
  @HttpCode(200)
  @ResponseMessage('auth.logged_out')
  @ApiOperation({ summary: "End the access token's session" })
  @ApiProtected()
  @ApiEnvelopedResponse(null)
  @ApiBodyErrors()
  logout(@CurrentUser() user: AuthUser, @Body() dto: LogoutDto) {
    return this.auth.logout(user, dto);
  }

  @Public()
  @AuthRateLimit()
  @Post('forgot-password')
  @HttpCode(200)
  @ResponseMessage('auth.reset_requested')
  @ApiOperation({
    summary: 'E-mail a password reset link',
    description: 'The same answer whether or not the e-mail is known.',
  })
  @ApiEnvelopedResponse(null)
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
  @ApiBodyErrors()
  @ApiErrorResponses(503)
  resetPassword(@Body() dto: ResetPasswordDto) {
    return this.auth.resetPassword(dto);
  }
}
