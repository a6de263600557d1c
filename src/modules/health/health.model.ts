import {
  ApiExtraModels,
  ApiProperty,
  ApiPropertyOptional,
  ApiSchema,
  getSchemaPath,
} from '@nestjs/swagger';
import { NODE_ENVS, type NodeEnv } from '../../config/env';
import type { HealthReport, ServiceState } from './health.service';

const SERVICE_STATES: ServiceState[] = ['healthy', 'unhealthy', 'not_configured'];

@ApiSchema({
  name: 'HealthServices',
  description:
    'When the model catalog lists providers, one more entry per provider: `provider:<id>` ' +
    '(healthy, or unhealthy when its model list does not answer); `openai` then sums them up.',
})
export class HealthServicesModel {
  [key: `provider:${string}`]: ServiceState;

  @ApiProperty({ type: String, enum: SERVICE_STATES })
  database!: ServiceState;

  @ApiProperty({ type: String, enum: SERVICE_STATES })
  redis!: ServiceState;

  @ApiProperty({ type: String, enum: SERVICE_STATES })
  openai!: ServiceState;
}

@ApiSchema({ name: 'ProviderHealth', description: 'One catalog provider (API.md §13).' })
export class ProviderHealthModel {
  @ApiProperty({ type: String, enum: ['healthy', 'unhealthy'] })
  status!: 'healthy' | 'unhealthy';

  @ApiProperty({ type: 'integer', minimum: 0, description: 'How long its model list took.' })
  latency_ms!: number;

  @ApiProperty({
    type: String,
    required: false,
    example: 'connection_error',
    description: 'Why it is unhealthy.',
  })
  reason?: string;

  @ApiProperty({
    type: 'integer',
    required: false,
    description: 'Its HTTP status, if it answered.',
  })
  upstream_status?: number;

  @ApiProperty({
    type: [String],
    description:
      'Upstream model names the catalog sends to it that its list does not have (empty while it is down).',
  })
  missing_models!: string[];
}

@ApiSchema({ name: 'HealthReport', description: 'API.md §7 (no envelope).' })
@ApiExtraModels(ProviderHealthModel)
export class HealthReportModel implements HealthReport {
  @ApiProperty({ type: String, enum: ['healthy', 'degraded', 'unhealthy'] })
  status!: HealthReport['status'];

  @ApiProperty({ type: String, format: 'date-time' })
  timestamp!: string;

  @ApiProperty({ type: String, example: '1.0.0' })
  version!: string;

  @ApiProperty({ type: () => HealthServicesModel })
  services!: HealthServicesModel;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { $ref: getSchemaPath(ProviderHealthModel) },
    description:
      'Each provider the model catalog lists, by id, checked through its model list (cached ' +
      'briefly). A provider down or missing a model makes `status` degraded, never unhealthy.',
  })
  providers?: Record<string, ProviderHealthModel>;

  @ApiProperty({ type: String, example: 'openai' })
  llm_provider!: string;

  @ApiProperty({ type: 'integer', minimum: 0, description: 'Seconds since the process started.' })
  uptime!: number;
}

@ApiSchema({ name: 'Liveness' })
export class LivenessModel {
  @ApiProperty({ type: String, enum: ['ok'] })
  status!: 'ok';
}

@ApiSchema({ name: 'Readiness' })
export class ReadinessModel {
  @ApiProperty({ type: String, enum: ['ok', 'unavailable'] })
  status!: 'ok' | 'unavailable';

  @ApiProperty({
    type: String,
    enum: ['up', 'down'],
    required: false,
    description: 'Absent while draining (the database is not asked then).',
  })
  database?: 'up' | 'down';

  @ApiProperty({
    type: Boolean,
    description: 'The instance is shutting down: send no new traffic.',
  })
  draining!: boolean;
}

@ApiSchema({ name: 'InfoFeatures' })
export class InfoFeaturesModel {
  @ApiProperty({ type: Boolean })
  websocket!: boolean;

  @ApiProperty({ type: Boolean })
  streaming!: boolean;

  @ApiProperty({ type: Boolean })
  file_upload!: boolean;

  @ApiProperty({ type: Boolean })
  stop_generation!: boolean;

  @ApiProperty({ type: Boolean })
  resume_stream!: boolean;

  @ApiProperty({ type: Boolean })
  idempotent_send!: boolean;
}

@ApiSchema({ name: 'Info', description: 'API.md §7 (no envelope).' })
export class InfoModel {
  @ApiProperty({ type: String, example: 'ChatGPT Backend API' })
  name!: string;

  @ApiProperty({ type: String, example: '1.0.0' })
  version!: string;

  @ApiProperty({ type: String, enum: [...NODE_ENVS] })
  environment!: NodeEnv;

  @ApiProperty({ type: [String] })
  supported_models!: string[];

  @ApiProperty({ type: String })
  default_model!: string;

  @ApiProperty({ type: String, example: 'openai' })
  llm_provider!: string;

  @ApiProperty({ type: () => InfoFeaturesModel })
  features!: InfoFeaturesModel;
}
