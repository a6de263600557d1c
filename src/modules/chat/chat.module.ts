import { Module } from '@nestjs/common';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { AuthModule } from '../auth/auth.module';
import { GenerationModule } from '../generation/generation.module';
import { ChatAuthService } from './chat-auth.service';
import { ChatConnectionRegistry } from './chat-connection.registry';
import { ChatFrameBudget } from './chat-frame-budget';
import { ChatFrameValidator } from './chat-frame.validator';
import { ChatSocketSlots } from './chat-socket-slots';
import { ChatFollower } from './chat.follower';
import { ChatGateway } from './chat.gateway';
import { WsTicketController } from './ws-ticket.controller';
import { WsTickets } from './ws-tickets';

@Module({
  imports: [AuthModule, ApiKeysModule, GenerationModule],
  controllers: [WsTicketController],
  providers: [
    ChatGateway,
    ChatAuthService,
    ChatConnectionRegistry,
    ChatFrameValidator,
    ChatFrameBudget,
    ChatSocketSlots,
    ChatFollower,
    WsTickets,
  ],
})
export class ChatModule {}
