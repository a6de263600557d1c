import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { GenerationModule } from '../generation/generation.module';
import { ChatGateway } from './chat.gateway';
import { WsTicketController } from './ws-ticket.controller';
import { WsTickets } from './ws-tickets';

@Module({
  imports: [AuthModule, GenerationModule],
  controllers: [WsTicketController],
  providers: [ChatGateway, WsTickets],
})
export class ChatModule {}
