import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { map, Observable } from 'rxjs';
import { RAW_RESPONSE, RESPONSE_MESSAGE } from '../decorators/http.decorators';
import { MessageKey, t } from '../i18n/messages';
import { contextOf, ContextRequest } from './request-context';
import { successEnvelope } from './envelope';

/** Wraps every HTTP result in the contract's success envelope. */
@Injectable()
export class EnvelopeInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(RAW_RESPONSE, targets)) return next.handle();
    const key = this.reflector.getAllAndOverride<MessageKey>(RESPONSE_MESSAGE, targets) ?? 'ok';
    const { lang } = contextOf(context.switchToHttp().getRequest<ContextRequest>());
    return next.handle().pipe(map((data: unknown) => successEnvelope(data ?? null, t(key, lang))));
  }
}
