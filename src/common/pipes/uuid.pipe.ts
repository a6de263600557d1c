import { Injectable, PipeTransform, ArgumentMetadata } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { AppError } from '../errors/app-error';

/** Path ids must be UUIDs: anything else is a malformed request (400), never a database error. */
@Injectable()
export class ParseUuidPipe implements PipeTransform<string, string> {
  transform(value: string, metadata: ArgumentMetadata): string {
    if (typeof value !== 'string' || !isUUID(value)) {
      throw AppError.badRequest(`${metadata.data ?? 'id'} must be a UUID`, metadata.data ?? 'id');
    }
    return value.toLowerCase();
  }
}
