import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EntityNotFoundError, QueryFailedError } from 'typeorm';
import {
  CONNECTION_ERROR_CODES,
  CONNECTION_MESSAGES,
  isDatabaseError,
  sqlStateOf,
  UNIQUE_VIOLATION,
} from './database-errors';

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

  it.each([...CONNECTION_ERROR_CODES])('recognises a connection failure with code %s', (code) => {
    expect(isDatabaseError(Object.assign(new Error('socket failure'), { code }))).toBe(true);
  });

  it('recognises a pg server error by its SQLSTATE and severity (57P01 admin shutdown)', () => {
    expect(
      isDatabaseError(pgError('57P01', 'terminating connection due to administrator command')),
    ).toBe(true);
  });

  it.each([
    ['53300', 'sorry, too many clients already'],
    ['53300', 'remaining connection slots are reserved for roles with the SUPERUSER attribute'],
    ['57P03', 'the database system is starting up'],
    ['57P01', 'terminating connection due to administrator command'],
    ['08006', 'connection failure'],
    ['08001', 'could not connect to server'],
    ['3D000', 'database "x" does not exist'],
    ['28P01', 'password authentication failed for user "x"'],
  ])('recognises the server error %s (%s) while connecting', (code, message) => {
    expect(isDatabaseError(pgError(code, message))).toBe(true);
  });

  // Every message in the list is one node-postgres or its pool raises; each is tested as the
  // exact text the library writes, and the list itself is checked below against those texts.
  it.each([...CONNECTION_MESSAGES])('recognises the pg client message %p', (message) => {
    expect(isDatabaseError(new Error(message))).toBe(true);
  });

  it.each([
    'timeout expired',
    'Connection terminated unexpectedly',
    'Connection terminated',
    'Connection terminated due to connection timeout',
    'timeout exceeded when trying to connect',
    'Query read timeout',
    'Client has encountered a connection error and is not queryable',
    'Client was closed and is not queryable',
    'Cannot use a pool after calling end on the pool',
    'connect ECONNREFUSED 127.0.0.1:5432',
    'The server does not support SSL connections',
    'There was an error establishing an SSL connection',
  ])("recognises node-postgres's own text %p", (message) => {
    expect(isDatabaseError(new Error(message))).toBe(true);
  });

  it('matches texts node-postgres still writes (an upgrade that rewords one fails here)', () => {
    const sources = ['pg/lib/client.js', 'pg/lib/connection.js', 'pg-pool/index.js']
      .map((file) => readFileSync(join(process.cwd(), 'node_modules', file), 'utf8'))
      .join('\n');
    // Node's own text, and TypeORM's.
    const fromNode = ['connect ECONNREFUSED', 'Connection is not established'];
    for (const message of CONNECTION_MESSAGES.filter((m) => !fromNode.includes(m))) {
      expect([message, sources.includes(message)]).toEqual([message, true]);
    }
  });

  it("recognises pg-pool's connect timeout wrapping the client's (`cause`)", () => {
    const inner = new Error('timeout expired');
    expect(isDatabaseError(new Error('pool gave up', { cause: inner }))).toBe(true);
    // A cause that is not a database failure does not make one.
    expect(isDatabaseError(new Error('boom', { cause: new Error('also boom') }))).toBe(false);
  });

  it("recognises Node's happy-eyeballs connect failure (an AggregateError of refusals)", () => {
    const refused = (address: string) =>
      Object.assign(new Error(`connect ECONNREFUSED ${address}:5432`), { code: 'ECONNREFUSED' });
    const error = new AggregateError([refused('::1'), refused('127.0.0.1')], '');
    expect(isDatabaseError(error)).toBe(true);
    expect(isDatabaseError(new AggregateError([new Error('boom')], ''))).toBe(false);
  });

  it('stops looking through causes at a bounded depth (a cyclic cause cannot hang it)', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    Object.assign(a, { cause: b });
    expect(isDatabaseError(a)).toBe(false);
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
