import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  ApiBodyErrors,
  ApiBodyExample,
  ApiEnvelopedResponse,
  ApiErrorResponses,
  ApiProtected,
  ApiRateLimited,
} from '../../common/openapi/decorators';
import { CurrentUser } from '../../common/decorators/current-user.decorator';
import { ResponseMessage } from '../../common/decorators/http.decorators';
import type { AuthUser } from '../auth/auth-user';
import { UpdateUserDto } from './dto/update-user.dto';
import { ProfileModel, QuotaModel } from './dto/user.model';
import { UsersService } from './users.service';
import { AcceptsApiKeys } from '../auth/accepts-api-keys.decorator';

@ApiTags('users')
@ApiRateLimited()
@ApiProtected()
@Controller('users/me')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @AcceptsApiKeys()
  @Get()
  @ResponseMessage('users.profile')
  @ApiOperation({ summary: 'The caller, with quota limits and usage' })
  @ApiEnvelopedResponse(ProfileModel)
  @ApiErrorResponses(404)
  profile(@CurrentUser() user: AuthUser) {
    return this.users.profile(user);
  }

  @Put()
  @ResponseMessage('users.updated')
  @ApiOperation({
    summary: 'Change username and/or e-mail',
    description: 'Any other field (is_vip, is_active, id…) is refused with 422.',
  })
  @ApiEnvelopedResponse(ProfileModel)
  @ApiBodyExample(UpdateUserDto, 'A new username', { username: 'alice.walker' })
  @ApiBodyErrors()
  @ApiErrorResponses(404)
  update(@CurrentUser() user: AuthUser, @Body() dto: UpdateUserDto) {
    return this.users.update(user, dto);
  }

  @AcceptsApiKeys()
  @Get('quota')
  @ResponseMessage('users.quota')
  @ApiOperation({ summary: 'Quota limits, usage and what is left' })
  @ApiEnvelopedResponse(QuotaModel)
  quota(@CurrentUser() user: AuthUser) {
    return this.users.quotaOf(user);
  }
}
