import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  ApiEnvelopedResponse,
  ApiProtected,
  ApiRateLimited,
} from '../../common/openapi/decorators';
import { CurrentUser } from '../../common/decorators/current-user.decorator';
import { ResponseMessage } from '../../common/decorators/http.decorators';
import type { AuthUser } from '../auth/auth-user';
import { WsTicketModel } from './dto/ws-ticket.model';
import { WS_TICKET_TTL_SECONDS, WsTickets } from './ws-tickets';

@ApiTags('chat')
@ApiRateLimited()
@ApiProtected()
@Controller('auth')
export class WsTicketController {
  constructor(private readonly tickets: WsTickets) {}

  /** A one-time ticket for `ws://…/api/v1/ws/chat?ticket=…` (30 s, single use). */
  @Post('ws-ticket')
  @HttpCode(200)
  @ResponseMessage('chat.ticket')
  @ApiOperation({ summary: 'A one-time ticket to open the WebSocket without a token in the URL' })
  @ApiEnvelopedResponse(WsTicketModel)
  async issue(@CurrentUser() user: AuthUser): Promise<{ ticket: string; expires_in: number }> {
    return {
      ticket: await this.tickets.issue({ userId: user.id, sessionId: user.sessionId }),
      expires_in: WS_TICKET_TTL_SECONDS,
    };
  }
}
