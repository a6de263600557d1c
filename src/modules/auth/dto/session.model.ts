import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import type { SessionListResponse, SessionResponse } from './session.response';

@ApiSchema({ name: 'Session', description: 'One signed-in device or client of the caller.' })
export class SessionModel implements SessionResponse {
  @ApiProperty({ type: String, format: 'uuid' })
  id!: string;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'User-Agent of the login or of the latest refresh.',
  })
  user_agent!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Client address of the login or of the latest refresh.',
  })
  ip!: string | null;

  @ApiProperty({ type: String, format: 'date-time', description: 'Login time.' })
  created_at!: string;

  @ApiProperty({
    type: String,
    format: 'date-time',
    description: 'Last refresh, or last use (written at most once per AUTH_SESSION_TOUCH_SECONDS).',
  })
  last_used_at!: string;

  @ApiProperty({ type: Boolean, description: 'The session of the token making this request.' })
  current!: boolean;
}

@ApiSchema({ name: 'SessionList' })
export class SessionListModel implements SessionListResponse {
  @ApiProperty({
    type: () => [SessionModel],
    description: 'Sessions not ended and not expired, most recently used first.',
  })
  sessions!: SessionModel[];
}
