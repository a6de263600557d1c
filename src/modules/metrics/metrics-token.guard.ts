import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError } from '../../common/errors/app-error';
import { AppConfig } from '../../config/app-config';

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * With METRICS_TOKEN set, a scrape must send `Authorization: Bearer <METRICS_TOKEN>`; the
 * comparison takes the same time whatever was sent (digests of equal length).
 */
@Injectable()
export class MetricsTokenGuard implements CanActivate {
  private readonly expected?: Buffer;

  constructor(config: AppConfig) {
    const token = config.env.METRICS_TOKEN;
    this.expected = token ? digest(token) : undefined;
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.expected) return true;
    const header = context.switchToHttp().getRequest<Request>().headers.authorization ?? '';
    const sent = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
    if (sent !== undefined && timingSafeEqual(digest(sent), this.expected)) return true;
    throw AppError.unauthenticated(
      sent === undefined ? 'error.authentication' : 'error.invalid_token',
    );
  }
}
