import { DataSource, QueryFailedError } from 'typeorm';
import { queryPrepared } from './prepared';

/**
 * Against the test run's database when DATABASE_URL is set (CI's first pass); the embedded
 * database is covered by every e2e suite of the send path.
 */
const url = process.env.DATABASE_URL;
const suite = url ? describe : describe.skip;

suite('queryPrepared (PostgreSQL)', () => {
  let dataSource: DataSource;

  beforeAll(async () => {
    dataSource = await new DataSource({ type: 'postgres', url, extra: { max: 1 } }).initialize();
  });
  afterAll(async () => {
    await dataSource?.destroy();
  });

  const preparedCount = async () =>
    Number(
      (
        await dataSource.query<{ n: string }[]>('SELECT count(*) AS n FROM pg_prepared_statements')
      )[0].n,
    );

  it('prepares a statement once per connection and answers its rows', async () => {
    const before = await preparedCount();
    for (let i = 1; i <= 3; i++) {
      const rows = await queryPrepared<{ n: number }>(dataSource, 'SELECT $1::int + 1 AS n', [i]);
      expect(rows).toEqual([{ n: i + 1 }]);
    }
    expect(await preparedCount()).toBe(before + 1);
  });

  it('reports a failing statement as TypeORM does, and keeps the connection', async () => {
    const error = await queryPrepared(dataSource, 'SELECT 1 / $1::int AS n', [0]).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(QueryFailedError);
    expect((error as QueryFailedError & { driverError: { code: string } }).driverError.code).toBe(
      '22012',
    );
    // The same (only) connection still holds the statements prepared on it.
    expect(await preparedCount()).toBeGreaterThan(0);
  });

  it('falls back to unnamed statements when the server lost one (a pooler, a shared backend)', async () => {
    const text = 'SELECT $1::int * 2 AS n';
    expect(await queryPrepared<{ n: number }>(dataSource, text, [2])).toEqual([{ n: 4 }]);
    // Behind node-postgres's back: it still believes the statement is prepared.
    await dataSource.query('DEALLOCATE ALL');
    expect(await queryPrepared<{ n: number }>(dataSource, text, [3])).toEqual([{ n: 6 }]);
    // From then on this data source prepares nothing by name.
    expect(await queryPrepared<{ n: number }>(dataSource, 'SELECT $1::int AS other', [1])).toEqual([
      { other: 1 },
    ]);
    expect(await preparedCount()).toBe(0);
  });

  it('runs inside a transaction on its connection', async () => {
    const seen = await dataSource.transaction(async (tx) => {
      await tx.query(`SET LOCAL application_name = 'prepared-spec'`);
      return queryPrepared<{ name: string }>(tx, 'SELECT current_setting($1) AS name', [
        'application_name',
      ]);
    });
    expect(seen).toEqual([{ name: 'prepared-spec' }]);
  });
});
