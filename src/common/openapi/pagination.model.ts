import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import type { Pagination } from '../http/pagination';

@ApiSchema({ name: 'Pagination' })
export class PaginationModel implements Pagination {
  @ApiProperty({ type: 'integer', minimum: 1, example: 1 })
  page!: number;

  @ApiProperty({ type: 'integer', minimum: 1, example: 20 })
  size!: number;

  @ApiProperty({ type: 'integer', minimum: 0, example: 42 })
  total!: number;

  @ApiProperty({ type: 'integer', minimum: 0, example: 3 })
  pages!: number;
}
