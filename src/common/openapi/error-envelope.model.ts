import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { ERROR_CODES, type ErrorCode } from '../errors/error-codes';
import type { ErrorEnvelope } from '../http/envelope';

@ApiSchema({ name: 'FieldIssue', description: 'One invalid field of a request.' })
export class FieldIssueModel {
  @ApiProperty({ type: String, example: 'username' })
  field!: string;

  @ApiProperty({ type: String, example: 'Username already exists' })
  issue!: string;
}

@ApiSchema({ name: 'ErrorBody' })
export class ErrorBodyModel {
  @ApiProperty({ type: String, enum: [...ERROR_CODES], example: 'VALIDATION_ERROR' })
  code!: ErrorCode;

  @ApiProperty({ type: String, example: 'Input validation failed' })
  message!: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description:
      'What went wrong, when there is more to say than the code. Validation errors carry ' +
      '`field`/`issue` of the first invalid field and, with several, `fields`; ' +
      'QUOTA_EXCEEDED names the limit and when it resets; RATE_LIMIT_EXCEEDED carries ' +
      '`retry_after` seconds (also in the `Retry-After` header).',
    properties: {
      field: { type: 'string' },
      issue: { type: 'string' },
      fields: { type: 'array', items: { $ref: '#/components/schemas/FieldIssue' } },
      retry_after: { type: 'integer', minimum: 1 },
    },
  })
  details?: Record<string, unknown>;
}

@ApiSchema({
  name: 'ErrorEnvelope',
  description: 'Every error answer (API.md §1); the `X-Request-Id` header identifies the request.',
})
export class ErrorEnvelopeModel implements ErrorEnvelope {
  @ApiProperty({ type: Boolean, enum: [false] })
  success!: false;

  @ApiProperty({ type: () => ErrorBodyModel })
  error!: ErrorBodyModel;

  @ApiProperty({ type: String, format: 'date-time' })
  timestamp!: string;
}
