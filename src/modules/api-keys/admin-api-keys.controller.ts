import { Controller, Delete, Get, HttpCode, Param } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  ApiEnvelopedResponse,
  ApiErrorResponses,
  ApiProtected,
  ApiRateLimited,
  ApiUuidParam,
} from '../../common/openapi/decorators';
import { ResponseMessage } from '../../common/decorators/http.decorators';
import { Roles } from '../../common/decorators/roles.decorator';
import { ParseUuidPipe } from '../../common/pipes/uuid.pipe';
import { ApiKeysService } from './api-keys.service';
import { AdminApiKeyListModel } from './dto/api-key.model';

/** Administrators: a user's API keys (never the keys or their hashes), and revoking them. */
@ApiTags('admin')
@ApiRateLimited()
@ApiProtected()
@Controller('admin')
@Roles('admin')
export class AdminApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Get('users/:id/api-keys')
  @ResponseMessage('api_keys.list')
  @ApiOperation({ summary: "A user's API keys, revoked ones included (admins only)" })
  @ApiUuidParam('id', 'User id')
  @ApiEnvelopedResponse(AdminApiKeyListModel)
  @ApiErrorResponses(400, 404)
  list(@Param('id', ParseUuidPipe) id: string) {
    return this.keys.listOfUser(id);
  }

  @Delete('users/:id/api-keys/:keyId')
  @HttpCode(200)
  @ResponseMessage('api_keys.revoked')
  @ApiOperation({
    summary: "Revoke a user's API key (admins only)",
    description:
      'It stops working at once on every replica. A key not of that user, or revoked: 404.',
  })
  @ApiUuidParam('id', 'User id')
  @ApiUuidParam('keyId', 'API key id')
  @ApiEnvelopedResponse(null)
  @ApiErrorResponses(400, 404)
  revoke(@Param('id', ParseUuidPipe) id: string, @Param('keyId', ParseUuidPipe) keyId: string) {
    return this.keys.revokeOfUser(id, keyId);
  }
}
