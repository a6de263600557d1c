import {
  Controller,
  Delete,
  Get,
  Param,
  Post,
  Query,
  Req,
  Res,
  StreamableFile,
} from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiOperation,
  ApiProduces,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CurrentUser } from '../../common/decorators/current-user.decorator';
import { RawResponse, ResponseMessage } from '../../common/decorators/http.decorators';
import {
  ApiEnvelopedResponse,
  ApiErrorResponses,
  ApiProtected,
  ApiRateLimited,
  ApiUuidParam,
} from '../../common/openapi/decorators';
import { ParseUuidPipe } from '../../common/pipes/uuid.pipe';
import type { AuthUser } from '../auth/auth-user';
import { FileListModel, FileModel, ListFilesQueryDto, UploadFileModel } from './dto/file.model';
import { FilesService } from './files.service';
import { AcceptsApiKeys } from '../auth/accepts-api-keys.decorator';

/**
 * Content-Disposition `attachment` with the name as given: an ASCII fallback and the exact
 * name in RFC 5987 form. Images are shown inline; everything else is downloaded.
 */
export function contentDisposition(kind: string, filename: string): string {
  const type = kind === 'image' ? 'inline' : 'attachment';
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `${type}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

@ApiTags('files')
@ApiRateLimited()
@ApiProtected()
@AcceptsApiKeys()
@Controller('files')
export class FilesController {
  constructor(private readonly files: FilesService) {}

  @Post()
  @ResponseMessage('files.uploaded')
  @ApiOperation({
    summary: 'Upload a file to attach to messages (multipart, one part `file`)',
    description:
      'Not JSON: "Try it out" shows a file picker for the part `file`. The answer\'s `data.id` ' +
      'goes in `attachments` of a send (POST …/messages).',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: UploadFileModel })
  @ApiEnvelopedResponse(FileModel, { status: 201 })
  @ApiErrorResponses(
    400,
    413,
    415,
    422,
    { status: 429, codes: ['RATE_LIMIT_EXCEEDED', 'QUOTA_EXCEEDED'] },
    { status: 503, codes: ['DATABASE_ERROR', 'SERVICE_UNAVAILABLE'] },
  )
  upload(
    @CurrentUser() user: AuthUser,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ) {
    return this.files.upload(user, req, res);
  }

  @Get()
  @ResponseMessage('files.list')
  @ApiOperation({ summary: "The user's files, newest first" })
  @ApiEnvelopedResponse(FileListModel)
  @ApiErrorResponses(400)
  list(@CurrentUser() user: AuthUser, @Query() query: ListFilesQueryDto) {
    return this.files.list(user, query.page, query.size);
  }

  @Get(':id')
  @ResponseMessage('files.detail')
  @ApiOperation({ summary: "A file's fields" })
  @ApiUuidParam('id', 'File id')
  @ApiEnvelopedResponse(FileModel)
  @ApiErrorResponses(400, 404)
  get(@CurrentUser() user: AuthUser, @Param('id', ParseUuidPipe) id: string) {
    return this.files.get(user, id);
  }

  @Get(':id/content')
  @RawResponse()
  @ApiOperation({
    summary: "A file's bytes",
    description:
      'With its Content-Type, `X-Content-Type-Options: nosniff`, and `Content-Disposition: attachment` for every kind but images.',
  })
  @ApiUuidParam('id', 'File id')
  // Errors are the JSON envelope; success is the file's own bytes.
  @ApiProduces('application/json', 'application/octet-stream')
  @ApiResponse({
    status: 200,
    description: "The bytes, with the file's own Content-Type.",
    content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
  })
  @ApiErrorResponses(400, 404)
  async content(
    @CurrentUser() user: AuthUser,
    @Param('id', ParseUuidPipe) id: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<StreamableFile> {
    const { file, stream } = await this.files.open(user, id);
    // A client gone mid-download releases the file descriptor or the store's connection now.
    res.once('close', () => stream.destroy());
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'private, no-store');
    return new StreamableFile(stream, {
      type: file.kind === 'text' ? `${file.contentType}; charset=utf-8` : file.contentType,
      length: file.size,
      disposition: contentDisposition(file.kind, file.filename),
    });
  }

  @Delete(':id')
  @ResponseMessage('files.deleted')
  @ApiOperation({ summary: 'Delete a file; messages that carried it show it as deleted' })
  @ApiUuidParam('id', 'File id')
  @ApiEnvelopedResponse(null)
  @ApiErrorResponses(400, 404)
  delete(@CurrentUser() user: AuthUser, @Param('id', ParseUuidPipe) id: string) {
    return this.files.delete(user, id);
  }
}
