import { gunzipSync, inflateSync, brotliDecompressSync } from 'node:zlib';
import createError from 'http-errors';
import { httpStatusOf } from './error-codes';
import { toAppError } from './to-app-error';

/** zlib's own error for `bytes`, as body-parser hands it on (http-errors with a 400). */
function bodyParserZlibError(decode: (b: Buffer) => Buffer, bytes: Buffer): unknown {
  try {
    decode(bytes);
  } catch (error) {
    return createError(400, error as Error);
  }
  throw new Error('the bytes decoded');
}

const statusOf = (error: unknown) => {
  const app = toAppError(error);
  return app && [app.code, httpStatusOf(app.code, app.variant)];
};

describe(toAppError.name, () => {
  it.each([
    ['gzip', gunzipSync, Buffer.from('not gzip')],
    ['gzip cut short', gunzipSync, Buffer.from([0x1f, 0x8b, 0x08, 0x00])],
    ['deflate', inflateSync, Buffer.from('not deflate')],
    ['brotli', brotliDecompressSync, Buffer.from('not brotli at all, really')],
  ])('answers an undecodable %s body as 400 VALIDATION_ERROR', (_name, decode, bytes) => {
    const error = bodyParserZlibError(decode, bytes);
    expect(statusOf(error)).toEqual(['VALIDATION_ERROR', 400]);
    expect(toAppError(error)?.messageKey).toBe('error.malformed_encoding');
  });

  it('answers an unsupported Content-Encoding as 415', () => {
    const error = createError(415, 'unsupported content encoding "x"', {
      type: 'encoding.unsupported',
    });
    expect(statusOf(error)).toEqual(['VALIDATION_ERROR', 415]);
  });

  it('answers any other exposed 4xx of the HTTP stack as a 4xx, never a 500', () => {
    expect(statusOf(createError(400, 'odd'))).toEqual(['VALIDATION_ERROR', 400]);
    expect(statusOf(createError(413, 'big'))).toEqual(['VALIDATION_ERROR', 413]);
  });

  it('leaves unknown errors (and zlib codes outside a client error) to the 500 path', () => {
    expect(toAppError(new Error('boom'))).toBeNull();
    expect(toAppError(Object.assign(new Error('zlib'), { code: 'Z_DATA_ERROR' }))).toBeNull();
    expect(toAppError(createError(500, 'server side'))).toBeNull();
  });
});
