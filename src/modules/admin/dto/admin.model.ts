import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { PaginationModel } from '../../../common/openapi/pagination.model';
import { QuotaModel } from '../../users/dto/user.model';
import { USER_ROLES } from '../../users/user.entity';
import type {
  AdminUserListResponse,
  AdminUserResponse,
  UsageDayRow,
  UsageFigures,
  UsageModelRow,
  UsageResponse,
  UserUsageResponse,
  AdminUsageResponse,
  StorageReport,
} from './admin.response';

/** OpenAPI descriptions of the admin answers; the mappers in admin.response.ts produce them. */

@ApiSchema({ name: 'AdminUser' })
export class AdminUserModel implements AdminUserResponse {
  @ApiProperty({ type: String, format: 'uuid' })
  id!: string;

  @ApiProperty({ type: String })
  username!: string;

  @ApiProperty({ type: String, format: 'email' })
  email!: string;

  @ApiProperty({ type: String, enum: [...USER_ROLES] })
  role!: string;

  @ApiProperty({ type: Boolean })
  is_active!: boolean;

  @ApiProperty({ type: Boolean })
  is_vip!: boolean;

  @ApiProperty({ type: String, format: 'date-time' })
  created_at!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  updated_at!: string;
}

@ApiSchema({ name: 'AdminUserList' })
export class AdminUserListModel implements AdminUserListResponse {
  @ApiProperty({ type: () => [AdminUserModel], description: 'Newest first.' })
  users!: AdminUserModel[];

  @ApiProperty({ type: () => PaginationModel })
  pagination!: PaginationModel;
}

@ApiSchema({ name: 'UsageFigures' })
export class UsageFiguresModel implements UsageFigures {
  @ApiProperty({ type: 'integer', minimum: 0, description: 'Billed replies.' })
  requests!: number;

  @ApiProperty({ type: 'integer', minimum: 0 })
  prompt_tokens!: number;

  @ApiProperty({ type: 'integer', minimum: 0 })
  completion_tokens!: number;

  @ApiProperty({ type: 'integer', minimum: 0 })
  total_tokens!: number;

  @ApiProperty({
    type: Number,
    nullable: true,
    description: "USD from the catalog's prices; null when the model has no price.",
  })
  cost!: number | null;
}

@ApiSchema({ name: 'UsageDay' })
export class UsageDayModel extends UsageFiguresModel implements UsageDayRow {
  @ApiProperty({ type: String, format: 'date', example: '2024-01-31' })
  date!: string;

  @ApiProperty({ type: String, nullable: true })
  model!: string | null;
}

@ApiSchema({ name: 'UsageByModel' })
export class UsageModelModel extends UsageFiguresModel implements UsageModelRow {
  @ApiProperty({ type: String, nullable: true })
  model!: string | null;
}

@ApiSchema({ name: 'UsageTotals' })
export class UsageTotalsModel implements UsageFigures {
  @ApiProperty({ type: 'integer', minimum: 0 })
  requests!: number;

  @ApiProperty({ type: 'integer', minimum: 0 })
  prompt_tokens!: number;

  @ApiProperty({ type: 'integer', minimum: 0 })
  completion_tokens!: number;

  @ApiProperty({ type: 'integer', minimum: 0 })
  total_tokens!: number;

  @ApiProperty({ type: Number, minimum: 0, description: 'USD, leaving out unpriced models.' })
  cost!: number;
}

@ApiSchema({ name: 'UsageRange' })
export class UsageRangeModel {
  @ApiProperty({ type: String, format: 'date' })
  from!: string;

  @ApiProperty({ type: String, format: 'date' })
  to!: string;

  @ApiProperty({ type: String, example: 'UTC' })
  time_zone!: string;
}

@ApiSchema({ name: 'UsageReport' })
export class UsageReportModel implements UsageResponse {
  @ApiProperty({ type: () => UsageRangeModel })
  range!: UsageRangeModel;

  @ApiProperty({ type: String, enum: ['USD'] })
  currency!: 'USD';

  @ApiProperty({ type: () => [UsageDayModel], description: 'Per day and model, oldest first.' })
  days!: UsageDayModel[];

  @ApiProperty({ type: () => [UsageModelModel] })
  models!: UsageModelModel[];

  @ApiProperty({ type: () => UsageTotalsModel })
  totals!: UsageTotalsModel;

  @ApiProperty({
    type: 'array',
    items: { type: 'string', nullable: true },
    description: 'Models used in the range that have no price (their cost is null).',
  })
  unpriced_models!: (string | null)[];
}

@ApiSchema({ name: 'StorageHolder' })
export class StorageHolderModel {
  @ApiProperty({ type: String, format: 'uuid' })
  user_id!: string;

  @ApiProperty({ type: String })
  username!: string;

  @ApiProperty({ type: 'integer', minimum: 0 })
  bytes!: number;

  @ApiProperty({ type: 'integer', minimum: 0 })
  files!: number;
}

@ApiSchema({ name: 'StorageReport', description: 'Files stored now, per user (API.md §10).' })
export class StorageReportModel implements StorageReport {
  @ApiProperty({ type: 'integer', minimum: 0 })
  total_bytes!: number;

  @ApiProperty({ type: 'integer', minimum: 0 })
  total_files!: number;

  @ApiProperty({ type: 'integer', minimum: 0, description: 'Users storing at least one file.' })
  user_count!: number;

  @ApiProperty({
    type: () => [StorageHolderModel],
    description: 'The largest holders first, at most 100.',
  })
  users!: StorageHolderModel[];
}

@ApiSchema({ name: 'AdminUsageReport' })
export class AdminUsageReportModel extends UsageReportModel implements AdminUsageResponse {
  @ApiProperty({ type: () => StorageReportModel })
  storage!: StorageReportModel;
}

@ApiSchema({ name: 'UserUsageReport' })
export class UserUsageReportModel extends UsageReportModel implements UserUsageResponse {
  @ApiProperty({ type: () => AdminUserModel })
  user!: AdminUserModel;

  @ApiProperty({ type: () => QuotaModel })
  quota!: QuotaModel;
}
