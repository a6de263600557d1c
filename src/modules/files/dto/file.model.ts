import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { PaginationModel } from '../../../common/openapi/pagination.model';
import { QueryInt } from '../../../common/validation/query';
import { FILE_KINDS, type FileKind } from '../file.entity';
import type { FileResponse } from './file.response';

@ApiSchema({ name: 'File' })
export class FileModel implements FileResponse {
  @ApiProperty({ type: String, format: 'uuid' })
  id!: string;

  @ApiProperty({ type: String, description: 'As uploaded; shown, never used as a path.' })
  filename!: string;

  @ApiProperty({
    type: String,
    example: 'application/pdf',
    description: "Read from the file's bytes, not from its name or the part's header.",
  })
  content_type!: string;

  @ApiProperty({ type: 'integer', minimum: 1, description: 'Bytes.' })
  size!: number;

  @ApiProperty({ type: String, pattern: '^[0-9a-f]{64}$' })
  sha256!: string;

  @ApiProperty({ type: String, enum: [...FILE_KINDS] })
  kind!: FileKind;

  @ApiProperty({
    type: 'integer',
    minimum: 0,
    description:
      "Tokens the model is sent for it: a document's or text's extracted text, an image's tiles.",
  })
  token_count!: number;

  @ApiProperty({ type: 'integer', nullable: true, description: 'Pages of a PDF; null otherwise.' })
  page_count!: number | null;

  @ApiProperty({ type: String, format: 'date-time' })
  created_at!: string;
}

@ApiSchema({ name: 'FileList' })
export class FileListModel {
  @ApiProperty({ type: () => [FileModel] })
  files!: FileModel[];

  @ApiProperty({ type: () => PaginationModel })
  pagination!: PaginationModel;
}

/** The multipart body of POST /files, for the OpenAPI document. */
export class UploadFileModel {
  @ApiProperty({
    type: 'string',
    format: 'binary',
    description:
      'PNG, JPEG, WebP or GIF images; PDF or DOCX documents; UTF-8 text (plain, Markdown, CSV, JSON, code). HTML and SVG are refused.',
  })
  file!: unknown;
}

export class ListFilesQueryDto {
  @ApiPropertyOptional({ default: 1 })
  @QueryInt(1, 1_000_000)
  page: number = 1;

  @ApiPropertyOptional({ default: 20 })
  @QueryInt(1, 100)
  size: number = 20;
}
