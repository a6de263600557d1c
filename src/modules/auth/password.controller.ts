import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  ApiBodyErrors,
  ApiBodyExample,
  ApiEnvelopedResponse,
  ApiProtected,
  ApiRateLimited,
} from '../../common/openapi/decorators';
import { EXAMPLE_NEW_PASSWORD, EXAMPLE_USER } from '../../common/openapi/examples';
import { CurrentUser } from '../../common/decorators/current-user.decorator';
import { ResponseMessage } from '../../common/decorators/http.decorators';
import { RecoveryRateLimit } from '../../common/throttling/throttle.decorators';
import { ChangePasswordDto } from '../users/dto/change-password.dto';
import type { AuthUser } from './auth-user';
import { AuthService } from './auth.service';

/** Credentials live with auth (they end sessions), though the route is under /users/me. */
@ApiTags('users')
@ApiRateLimited()
@ApiProtected()
@Controller('users/me')
export class PasswordController {
  constructor(private readonly auth: AuthService) {}

  @RecoveryRateLimit()
  @Post('change-password')
  @HttpCode(200)
  @ResponseMessage('users.password_changed')
  @ApiOperation({ summary: 'Change the password; other sessions end' })
  @ApiEnvelopedResponse(null)
  @ApiBodyExample(ChangePasswordDto, 'From the password of the register example', {
    current_password: EXAMPLE_USER.password,
    new_password: EXAMPLE_NEW_PASSWORD,
    confirm_password: EXAMPLE_NEW_PASSWORD,
  })
  @ApiBodyErrors()
  async changePassword(
    @CurrentUser() user: AuthUser,
    @Body() dto: ChangePasswordDto,
  ): Promise<null> {
    await this.auth.changePassword(user, dto.current_password, dto.new_password);
    return null;
  }
}
