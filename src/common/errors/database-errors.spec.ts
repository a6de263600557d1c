import { EntityNotFoundError, QueryFailedError } from 'typeorm';
import { isDatabaseError, sqlStateOf, UNIQUE_VIOLATION } from './database-errors';

/** An error shaped like the ones node-postgres raises for a server-side failure. */
function pgError(code: string, message: string, severity = 'FATAL'): Error {
  return Object.assign(new Error(message), { code, severity });
}

describe(isDatabaseError.name, () => {
  it('recognises a failed query', () => {
    const error = new QueryFailedError(
      'SELECT 1',
      [],
      pgError('42P01', 'relation "x" does not exist', 'ERROR'),
    );
    expect(isDatabaseError(error)).toBe(true);
  });

  it('does not take integrity violations or data exceptions for an unavailable database', () => {
    for (const code of [UNIQUE_VIOLATION, '23502', '22P02']) {
      expect(
        isDatabaseError(new QueryFailedError('INSERT …', [], pgError(code, 'bad row', 'ERROR'))),
      ).toBe(false);
      expect(isDatabaseError(pgError(code, 'bad row', 'ERROR'))).toBe(false);
    }
  });

  it('recognises other TypeORM errors', () => {
    expect(isDatabaseError(new EntityNotFoundError('UserEntity', { id: 'x' }))).toBe(true);
  });

  it.each(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH'])(
    'recognises a connection failure with code %s',
    (code) => {
      expect(isDatabaseError(Object.assign(new Error('socket failure'), { code }))).toBe(true);
    },
  );

  it('recognises a pg server error by its SQLSTATE and severity (57P01 admin shutdown)', () => {
    expect(
      isDatabaseError(pgError('57P01', 'terminating connection due to administrator command')),
    ).toBe(true);
    expect(isDatabaseError(pgError('53300', 'sorry, too many clients already'))).toBe(true);
  });

  it.each([
    'Connection terminated unexpectedly',
    'timeout exceeded when trying to connect',
    'Query read timeout',
  ])('recognises the pg client message %p', (message) => {
    expect(isDatabaseError(new Error(message))).toBe(true);
  });

  it('does not take ordinary errors for database errors', () => {
    expect(isDatabaseError(new Error('boom'))).toBe(false);
    expect(isDatabaseError(new TypeError('x is not a function'))).toBe(false);
    expect(isDatabaseError(Object.assign(new Error('no file'), { code: 'ENOENT' }))).toBe(false);
    // A five-character code alone, without a pg severity, is not enough.
    expect(isDatabaseError(Object.assign(new Error('odd'), { code: '57P01' }))).toBe(false);
    expect(isDatabaseError(Object.assign(new Error('odd'), { code: '57P01', severity: 3 }))).toBe(
      false,
    );
  });

  it.each([null, undefined, 'ECONNREFUSED', 42, {}])(
    'answers false for the non-error %p',
    (value) => {
      expect(isDatabaseError(value)).toBe(false);
    },
  );
});

describe(sqlStateOf.name, () => {
  it('reads the SQLSTATE of a failed query', () => {
    const error = new QueryFailedError(
      'INSERT …',
      [],
      pgError(UNIQUE_VIOLATION, 'duplicate key', 'ERROR'),
    );
    expect(sqlStateOf(error)).toBe('23505');
  });

  it('answers undefined for anything that is not a failed query', () => {
    expect(sqlStateOf(pgError('23505', 'duplicate key'))).toBeUndefined();
    expect(sqlStateOf(new Error('boom'))).toBeUndefined();
    expect(sqlStateOf(null)).toBeUndefined();
  });
});
