import type { Request } from 'express';
import { randomUUID } from 'node:crypto';
import { Lang, pickLang } from '../i18n/messages';

export const REQUEST_ID_HEADER = 'X-Request-Id';
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** What every request carries once it enters: its id and its answer language. */
export interface RequestContext {
  requestId: string;
  lang: Lang;
}

export type ContextRequest = Request & { ctx?: RequestContext };

/** Reuses a client's X-Request-Id when it is a sane token, otherwise makes a new one. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const sent = Array.isArray(header) ? header[0] : header;
  return sent && SAFE_REQUEST_ID.test(sent) ? sent : randomUUID();
}

export function contextOf(req: ContextRequest): RequestContext {
  if (!req.ctx) {
    req.ctx = {
      requestId: requestIdFrom(req.headers['x-request-id']),
      lang: pickLang(req.headers['accept-language']),
    };
  }
  return req.ctx;
}
