import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { NODE_ENVS, type NodeEnv } from '../../config/env';
import type { HealthReport, ServiceState } from './health.service';

const SERVICE_STATES: ServiceState[] = ['healthy', 'unhealthy', 'not_configured'];

@ApiSchema({ name: 'HealthServices' })
export class HealthServicesModel {
  @ApiProperty({ type: String, enum: SERVICE_STATES })
  database!: ServiceState;

  @ApiProperty({ type: String, enum: SERVICE_STATES })
  redis!: ServiceState;

  @ApiProperty({ type: String, enum: SERVICE_STATES })
  openai!: ServiceState;
}

@ApiSchema({ name: 'HealthReport', description: 'API.md §7 (no envelope).' })
export class HealthReportModel implements HealthReport {
  @ApiProperty({ type: String, enum: ['healthy', 'degraded', 'unhealthy'] })
  status!: HealthReport['status'];

  @ApiProperty({ type: String, format: 'date-time' })
  timestamp!: string;

  @ApiProperty({ type: String, example: '1.0.0' })
  version!: string;

  @ApiProperty({ type: () => HealthServicesModel })
  services!: HealthServicesModel;

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
