import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { MessageModel } from '../../messages/dto/message.model';
import type { Usage } from '../generation-events';
import type { RegenerateResult, SendResult } from '../generation.service';

@ApiSchema({ name: 'Usage', description: "The provider's token report for the whole call." })
export class UsageModel implements Usage {
  @ApiProperty({ type: 'integer', minimum: 0 })
  prompt_tokens!: number;

  @ApiProperty({ type: 'integer', minimum: 0 })
  completion_tokens!: number;

  @ApiProperty({ type: 'integer', minimum: 0 })
  total_tokens!: number;
}

@ApiSchema({ name: 'SendResult' })
export class SendResultModel implements SendResult {
  @ApiProperty({ type: () => MessageModel })
  user_message!: MessageModel;

  @ApiProperty({ type: () => MessageModel })
  assistant_message!: MessageModel;

  @ApiProperty({ type: () => UsageModel })
  usage!: UsageModel;
}

@ApiSchema({ name: 'RegenerateResult', description: 'The new reply and the call’s usage.' })
export class RegenerateResultModel implements RegenerateResult {
  @ApiProperty({ type: () => MessageModel })
  assistant_message!: MessageModel;

  @ApiProperty({ type: () => UsageModel })
  usage!: UsageModel;
}
