import { Logger, NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import type { Response } from 'express';
import { QueryFailedError } from 'typeorm';
import { AppError, fieldIssue } from '../errors/app-error';
import type { ContextRequest } from '../http/request-context';
import { toAppError } from '../errors/to-app-error';
import { writeError } from './http-exception.filter';

interface Captured {
  status?: number;
  body?: Record<string, any>;
  headers: Record<string, string>;
}

function fakeResponse(): { res: Response; out: Captured } {
  const out: Captured = { headers: {} };
  const res = {
    headersSent: false,
    setHeader: (name: string, value: string) => {
      out.headers[name.toLowerCase()] = value;
    },
    status(code: number) {
      out.status = code;
      return this;
    },
    json(body: Record<string, any>) {
      out.body = body;
      return this;
    },
    end: () => undefined,
  } as unknown as Response;
  return { res, out };
}

function fakeRequest(headers: Record<string, string> = {}): ContextRequest {
  return { headers, method: 'GET', url: '/x', originalUrl: '/x' } as unknown as ContextRequest;
}

describe('toAppError', () => {
  it('keeps domain errors as they are', () => {
    const error = AppError.notFound();
    expect(toAppError(error)).toBe(error);
  });

  it('maps body-parser errors to VALIDATION_ERROR 400 and 413', () => {
    expect(toAppError({ type: 'entity.parse.failed', status: 400 })).toMatchObject({
      code: 'VALIDATION_ERROR',
      variant: 'malformed',
    });
    expect(toAppError({ type: 'entity.too.large', status: 413 })).toMatchObject({
      code: 'VALIDATION_ERROR',
      variant: 'too_large',
    });
    expect(toAppError({ type: 'charset.unsupported', status: 415 })).toMatchObject({
      code: 'VALIDATION_ERROR',
      variant: 'unsupported_media',
    });
  });

  it('maps framework 404 and 413 exceptions', () => {
    expect(toAppError(new NotFoundException())).toMatchObject({ code: 'RESOURCE_NOT_FOUND' });
    expect(toAppError(new PayloadTooLargeException())).toMatchObject({
      code: 'VALIDATION_ERROR',
      variant: 'too_large',
    });
  });

  it('maps failed statements to DATABASE_ERROR 503', () => {
    const failed = new QueryFailedError(
      'SELECT 1',
      [],
      new Error('relation "users" does not exist'),
    );
    expect(toAppError(failed)).toMatchObject({ code: 'DATABASE_ERROR' });
    expect(toAppError(failed)?.variant).toBeUndefined();
  });

  it('returns null for anything else', () => {
    expect(toAppError(new Error('boom'))).toBeNull();
    expect(toAppError('a string')).toBeNull();
  });
});

describe('writeError', () => {
  const logger = new Logger('test');
  let logged: string[];

  beforeEach(() => {
    logged = [];
    jest.spyOn(logger, 'error').mockImplementation((message: unknown) => {
      logged.push(String(message));
    });
  });

  it('answers an unknown error with a bare INTERNAL_SERVER_ERROR and logs its stack with the request id', () => {
    const { res, out } = fakeResponse();
    writeError(
      new TypeError('secret internals at line 42'),
      fakeRequest({ 'x-request-id': 'req-7' }),
      res,
      logger,
    );
    expect(out.status).toBe(500);
    expect(out.body).toEqual({
      success: false,
      error: { code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' },
      timestamp: expect.any(String),
    });
    expect(JSON.stringify(out.body)).not.toContain('secret internals');
    expect(out.headers['x-request-id']).toBe('req-7');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain('req-7');
    expect(logged[0]).toContain('TypeError: secret internals');
  });

  it('writes field details in both shapes, in Chinese when asked, without internal keys', () => {
    const { res, out } = fakeResponse();
    const error = AppError.validation([
      fieldIssue('username', 'issue.username_taken'),
      fieldIssue('email', 'issue.email_taken'),
    ]);
    writeError(error, fakeRequest({ 'accept-language': 'zh-CN' }), res, logger);
    expect(out.status).toBe(422);
    expect(out.body?.error.code).toBe('VALIDATION_ERROR');
    expect(out.body?.error.message).toBe('输入验证失败');
    expect(out.body?.error.details).toEqual({
      field: 'username',
      issue: '用户名已存在',
      fields: [
        { field: 'username', issue: '用户名已存在' },
        { field: 'email', issue: '邮箱已存在' },
      ],
    });
    expect(logged).toHaveLength(0);
  });
});
