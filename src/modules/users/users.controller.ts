import { Body, Controller, Get, Put } from '@nestjs/common';
import { CurrentUser } from '../../common/decorators/current-user.decorator';
import { ResponseMessage } from '../../common/decorators/http.decorators';
import type { AuthUser } from '../auth/auth-user';
import { UpdateUserDto } from './dto/update-user.dto';
import { UsersService } from './users.service';

@Controller('users/me')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @ResponseMessage('users.profile')
  profile(@CurrentUser() user: AuthUser) {
    return this.users.profile(user);
  }

  @Put()
  @ResponseMessage('users.updated')
  update(@CurrentUser() user: AuthUser, @Body() dto: UpdateUserDto) {
    return this.users.update(user, dto);
  }

  @Get('quota')
  @ResponseMessage('users.quota')
  quota(@CurrentUser() user: AuthUser) {
    return this.users.quotaOf(user);
  }
}
