import { Module } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { FilesController } from './files.controller';
import { FilesRepository } from './files.repository';
import { FilesService } from './files.service';
import { FilesSweeper } from './files-sweeper';
import { FileInspector } from './inspection/file-inspector';
import { createFileStorage, FILE_STORAGE } from './storage/file-storage';

/** Uploads, their storage (local directory or S3), inspection and lifecycle (API.md §10). */
@Module({
  controllers: [FilesController],
  providers: [
    FilesRepository,
    FilesService,
    FilesSweeper,
    {
      provide: FILE_STORAGE,
      inject: [AppConfig],
      useFactory: ({ env }: AppConfig) =>
        createFileStorage({
          dataDir: env.DATA_DIR,
          s3: env.S3_BUCKET
            ? {
                bucket: env.S3_BUCKET,
                endpoint: env.S3_ENDPOINT,
                region: env.S3_REGION,
                accessKeyId: env.S3_ACCESS_KEY_ID,
                secretAccessKey: env.S3_SECRET_ACCESS_KEY,
                forcePathStyle: env.S3_FORCE_PATH_STYLE,
                requestTimeoutMs: env.S3_REQUEST_TIMEOUT_MS,
              }
            : undefined,
        }),
    },
    {
      provide: FileInspector,
      inject: [AppConfig],
      useFactory: ({ env }: AppConfig) =>
        new FileInspector({
          maxPdfPages: env.FILE_MAX_PDF_PAGES,
          maxImagePixels: env.FILE_MAX_IMAGE_PIXELS,
          maxInflatedBytes: env.FILE_MAX_INFLATED_BYTES,
          maxArchiveEntries: 5000,
          timeoutMs: env.FILE_INSPECT_TIMEOUT_MS,
          memoryMb: env.FILE_INSPECT_MEMORY_MB,
          threads: env.FILE_INSPECT_THREADS,
          maxQueue: env.FILE_MAX_CONCURRENT_UPLOADS,
        }),
    },
  ],
  exports: [FilesService, FilesRepository],
})
export class FilesModule {}
