import { ApiPropertyOptional } from '@nestjs/swagger';
import { QueryInt } from '../../../common/validation/query';

export class ResumeQueryDto {
  /** The last event number the client has (like Last-Event-ID). */
  @ApiPropertyOptional({
    description:
      'The last event id the client has; the Last-Event-ID header wins when both are sent.',
  })
  @QueryInt(0, 1_000_000_000)
  after?: number;
}
