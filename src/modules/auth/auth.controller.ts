import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { Client, CurrentUser } from '../../common/decorators/current-user.decorator';
import { Public, ResponseMessage } from '../../common/decorators/http.decorators';
import type { AuthUser, ClientInfo } from './auth-user';
import { AuthService } from './auth.service';
import {
  ForgotPasswordDto,
  LoginDto,
  LogoutDto,
  RefreshDto,
  RegisterDto,
  ResetPasswordDto,
} from './dto/auth.dto';

@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Public()
  @Post('register')
  @ResponseMessage('auth.registered')
  register(@Body() dto: RegisterDto, @Client() client: ClientInfo) {
    return this.auth.register(dto, client);
  }

  @Public()
  @Post('login')
  @HttpCode(200)
  @ResponseMessage('auth.logged_in')
  login(@Body() dto: LoginDto, @Client() client: ClientInfo) {
    return this.auth.login(dto, client);
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  @ResponseMessage('auth.refreshed')
  refresh(@Body() dto: RefreshDto) {
    return this.auth.refresh(dto);
  }

  @Post('logout')
  @HttpCode(200)
  @ResponseMessage('auth.logged_out')
  logout(@CurrentUser() user: AuthUser, @Body() dto: LogoutDto) {
    return this.auth.logout(user, dto);
  }

  @Public()
  @Post('forgot-password')
  @HttpCode(200)
  @ResponseMessage('auth.reset_requested')
  forgotPassword(@Body() dto: ForgotPasswordDto) {
    return this.auth.forgotPassword(dto);
  }

  @Public()
  @Post('reset-password')
  @HttpCode(200)
  @ResponseMessage('auth.password_reset')
  resetPassword(@Body() dto: ResetPasswordDto) {
    return this.auth.resetPassword(dto);
  }
}
