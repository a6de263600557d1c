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
import { CurrentUser } from '../../common/decorators/current-user.decorator';
import { ResponseMessage } from '../../common/decorators/http.decorators';
import { ParseUuidPipe } from '../../common/pipes/uuid.pipe';
import type { AuthUser } from '../auth/auth-user';
import { ApiKeysService } from './api-keys.service';
import { CreateApiKeyDto } from './dto/api-key.dto';
import { ApiKeyListModel, CreatedApiKeyModel } from './dto/api-key.model';

/** The caller's API keys. Access tokens only (no @AcceptsApiKeys): a key cannot mint or list keys. */
@ApiTags('api-keys')
@ApiRateLimited()
@ApiProtected()
@Controller('api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  @ResponseMessage('api_keys.created')
  @ApiOperation({
    summary: 'Create an API key',
    description:
      'The answer holds the key (`sk-…`) once; only its hash is stored. At most 20 live (unrevoked, ' +
      'unexpired) keys per user: the 21st is 422 VALIDATION_ERROR (`details.field: "api_keys"`). ' +
      'Refused with 403 when the request itself is made with an API key.',
  })
  @ApiEnvelopedResponse(CreatedApiKeyModel, { status: 201 })
  @ApiBodyExample(CreateApiKeyDto, 'A key for a script, valid for 90 days', {
    name: 'nightly-report script',
    expires_in_days: 90,
  })
  @ApiBodyErrors()
  create(@CurrentUser() user: AuthUser, @Body() dto: CreateApiKeyDto) {
    return this.keys.create(user, dto);
  }

  @Get()
  @ResponseMessage('api_keys.list')
  @ApiOperation({ summary: "The caller's API keys (without the keys)" })
  @ApiEnvelopedResponse(ApiKeyListModel)
  list(@CurrentUser() user: AuthUser) {
    return this.keys.list(user);
  }

  @Delete(':id')
  @HttpCode(200)
  @ResponseMessage('api_keys.revoked')
  @ApiOperation({
    summary: 'Revoke an API key',
    description:
      'The key stops working at once on every replica (401), and sockets and event streams opened ' +
      "with it end. Another user's key, an unknown or an already revoked one: 404.",
  })
  @ApiUuidParam('id', 'API key id')
  @ApiEnvelopedResponse(null)
  @ApiErrorResponses(400, 404)
  revoke(@CurrentUser() user: AuthUser, @Param('id', ParseUuidPipe) id: string) {
    return this.keys.revoke(user, id);
  }
}
