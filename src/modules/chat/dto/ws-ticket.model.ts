import { ApiProperty, ApiSchema } from '@nestjs/swagger';

@ApiSchema({
  name: 'WsTicket',
  description:
    'Open `ws://…/api/v1/ws/chat?ticket=<ticket>` with it: once, within `expires_in` seconds.',
})
export class WsTicketModel {
  @ApiProperty({ type: String })
  ticket!: string;

  @ApiProperty({ type: 'integer', example: 30 })
  expires_in!: number;
}
