import { isErrorCode } from '../../clients/typescript/src/index.ts';
import { ERROR_CODES } from '../../src/common/errors/error-codes';

/**
 * The client package cannot import the server's code (it has no runtime dependency), so it keeps
 * its own list of the contract's error codes. Its type follows openapi.json; this keeps the list
 * itself equal to the server's, so a code added there is not reported as `HTTP_ERROR`.
 */
describe('the client knows every error code the server answers with', () => {
  it.each(ERROR_CODES)('%s', (code) => {
    expect(isErrorCode(code)).toBe(true);
  });

  it('and nothing else', () => {
    expect(isErrorCode('HTTP_ERROR')).toBe(false);
    expect(isErrorCode('NOT_A_CODE')).toBe(false);
  });
});
