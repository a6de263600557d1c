import { AppError } from '../errors/app-error';
import { isOpenAiCompatPath, quotaRetryAfter, toOpenAiError } from './openai-error';

describe('isOpenAiCompatPath', () => {
  it('matches the prefix and what is under it, not look-alikes', () => {
    expect(isOpenAiCompatPath('/api/v1/openai/chat/completions')).toBe(true);
    expect(isOpenAiCompatPath('/api/v1/openai/models?x=1')).toBe(true);
    expect(isOpenAiCompatPath('/api/v1/openai')).toBe(true);
    expect(isOpenAiCompatPath('/api/v1/openaiX/models')).toBe(false);
    expect(isOpenAiCompatPath('/api/v1/models')).toBe(false);
  });
});

describe('toOpenAiError', () => {
  it.each([
    [
      new AppError('AUTHENTICATION_ERROR', 'error.authentication'),
      'invalid_request_error',
      'invalid_api_key',
    ],
    [
      new AppError('AUTHORIZATION_ERROR', 'error.authorization'),
      'permission_error',
      'permission_denied',
    ],
    [
      new AppError('QUOTA_EXCEEDED', 'error.quota', { window: 'daily_requests' }),
      'insufficient_quota',
      'insufficient_quota',
    ],
    [
      new AppError('RATE_LIMIT_EXCEEDED', 'error.rate_limit', { retry_after: 3 }),
      'rate_limit_error',
      'rate_limit_exceeded',
    ],
    [new AppError('OPENAI_API_ERROR', 'error.openai'), 'upstream_error', 'upstream_error'],
    [
      new AppError('OPENAI_API_ERROR', 'error.openai_timeout', undefined, 'timeout'),
      'upstream_error',
      'upstream_timeout',
    ],
    [new AppError('DATABASE_ERROR', 'error.database'), 'server_error', 'service_unavailable'],
    [new AppError('INTERNAL_SERVER_ERROR', 'error.internal'), 'server_error', 'internal_error'],
    [AppError.badRequest('bad json'), 'invalid_request_error', 'invalid_request'],
  ])('maps %s', (error, type, code) => {
    expect(toOpenAiError(error, 'text').error).toMatchObject({ type, code });
  });

  it('names the field as param, and an OpenAI code given in details wins', () => {
    const error = new AppError('RESOURCE_NOT_FOUND', 'error.not_found', {
      field: 'model',
      issue: "The model 'x' does not exist",
      openai_code: 'model_not_found',
    });
    expect(toOpenAiError(error, 'Resource not found')).toEqual({
      error: {
        message: "The model 'x' does not exist",
        type: 'invalid_request_error',
        code: 'model_not_found',
        param: 'model',
      },
    });
  });

  it('never carries details beyond message, type, code and param', () => {
    const error = new AppError('OPENAI_API_ERROR', 'error.openai', {
      reason: 'connection_error',
      upstream_status: 500,
    });
    expect(Object.keys(toOpenAiError(error, 'failed').error).sort()).toEqual([
      'code',
      'message',
      'param',
      'type',
    ]);
  });
});

describe('quotaRetryAfter', () => {
  it('is the seconds to the named window’s reset, at least 1', () => {
    const now = Date.parse('2026-01-01T23:59:00Z');
    const error = new AppError('QUOTA_EXCEEDED', 'error.quota', {
      resets_at: '2026-01-02T00:00:00.000Z',
    });
    expect(quotaRetryAfter(error, now)).toBe(60);
    expect(quotaRetryAfter(error, Date.parse('2026-01-03T00:00:00Z'))).toBe(1);
    expect(
      quotaRetryAfter(new AppError('RATE_LIMIT_EXCEEDED', 'error.rate_limit')),
    ).toBeUndefined();
  });
});
