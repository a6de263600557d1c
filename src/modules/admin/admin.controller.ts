import { Body, Controller, Get, Param, Patch, Query } from '@nestjs/common';
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
import { CurrentUser } from '../../common/decorators/current-user.decorator';
import { ResponseMessage } from '../../common/decorators/http.decorators';
import { Roles } from '../../common/decorators/roles.decorator';
import { ParseUuidPipe } from '../../common/pipes/uuid.pipe';
import type { AuthUser } from '../auth/auth-user';
import { AdminService } from './admin.service';
import {
  AdminUserListModel,
  AdminUserModel,
  AdminUsageReportModel,
  UserUsageReportModel,
} from './dto/admin.model';
import { ListUsersQueryDto, UpdateUserAdminDto, UsageQueryDto } from './dto/admin.dto';

@ApiTags('admin')
@ApiRateLimited()
@ApiProtected()
@Controller('admin')
@Roles('admin')
export class AdminController {
  constructor(private readonly admin: AdminService) {}

  @Get('users')
  @ResponseMessage('admin.users')
  @ApiOperation({ summary: 'Users, newest first (admins only)' })
  @ApiEnvelopedResponse(AdminUserListModel)
  @ApiErrorResponses(400)
  list(@Query() query: ListUsersQueryDto) {
    return this.admin.listUsers(query);
  }

  @Patch('users/:id')
  @ResponseMessage('admin.user_updated')
  @ApiOperation({ summary: "Change a user's role, tier or active flag (admins only)" })
  @ApiUuidParam('id', 'User id')
  @ApiEnvelopedResponse(AdminUserModel)
  @ApiBodyExample(UpdateUserAdminDto, 'Move a user to the VIP tier', { is_vip: true })
  @ApiBodyErrors()
  @ApiErrorResponses(404)
  update(
    @CurrentUser() actor: AuthUser,
    @Param('id', ParseUuidPipe) id: string,
    @Body() dto: UpdateUserAdminDto,
  ) {
    return this.admin.updateUser(actor, id, dto);
  }

  @Get('users/:id/usage')
  @ResponseMessage('admin.usage')
  @ApiOperation({ summary: "A user's usage and cost per day and model, and quota (admins only)" })
  @ApiUuidParam('id', 'User id')
  @ApiEnvelopedResponse(UserUsageReportModel)
  @ApiErrorResponses(400, 404)
  userUsage(@Param('id', ParseUuidPipe) id: string, @Query() query: UsageQueryDto) {
    return this.admin.userUsage(id, query);
  }

  @Get('usage')
  @ResponseMessage('admin.usage')
  @ApiOperation({ summary: 'Usage and cost of everyone per day and model (admins only)' })
  @ApiEnvelopedResponse(AdminUsageReportModel)
  @ApiErrorResponses(400)
  usage(@Query() query: UsageQueryDto) {
    return this.admin.usage(query);
  }
}
