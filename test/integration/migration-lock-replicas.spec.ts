import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { runMigrationsOn, withMigrationLock } from '../../src/database/migration-lock';
import { typeormOptions } from '../../src/database/typeorm-options';
import { createDatabase } from '../support/private-database';

/**
 * The migration lock itself, on PostgreSQL (the name keeps it out of embedded runs): two data
 * sources, as two replicas would hold, on a fresh empty database of their own. The service-level
 * race test (test/e2e/migrations-replicas) shows N booting processes end clean; this one shows
 * that the lock is what serializes them — the second holder's work starts only after the first
 * holder's has ended, and the migrations are applied once between them.
 */
describe('migration lock (two migrators on one PostgreSQL database)', () => {
  const sources: DataSource[] = [];

  async function migrator(url: string): Promise<DataSource> {
    const source = new DataSource(
      typeormOptions({
        url,
        embedded: false,
        poolSize: 2,
        connectTimeoutMs: 5000,
        statementTimeoutMs: 60000,
      }),
    );
    await source.initialize();
    sources.push(source);
    return source;
  }

  async function freshDatabase(): Promise<string> {
    const serverUrl = process.env.TEST_SERVER_DATABASE_URL;
    const runName = process.env.TEST_DATABASE_NAME;
    if (!serverUrl || !runName) throw new Error('this suite needs the run on PostgreSQL');
    return createDatabase(serverUrl, `${runName}_p${randomBytes(3).toString('hex')}`);
  }

  afterAll(async () => {
    await Promise.all(sources.map((s) => s.destroy().catch(() => undefined)));
  });

  it('lets one holder in at a time: the second waits until the first has released', async () => {
    const url = await freshDatabase();
    const [a, b] = await Promise.all([migrator(url), migrator(url)]);
    const spans: { who: string; start: number; end: number }[] = [];
    let aHolds!: () => void;
    const aHolding = new Promise<void>((resolve) => (aHolds = resolve));
    const hold = (who: string) => async () => {
      const start = Date.now();
      if (who === 'a') aHolds();
      await new Promise((resolve) => setTimeout(resolve, 400));
      spans.push({ who, start, end: Date.now() });
    };
    const first = withMigrationLock(a, { timeoutMs: 10000 }, hold('a'));
    // b asks while a holds the lock.
    await aHolding;
    const second = withMigrationLock(b, { timeoutMs: 10000 }, hold('b'));
    const [ra, rb] = await Promise.all([first, second]);
    expect(spans.map((s) => s.who)).toEqual(['a', 'b']);
    expect(spans[1].start).toBeGreaterThanOrEqual(spans[0].end);
    expect(ra.waitedMs).toBeLessThan(rb.waitedMs);
  });

  it('applies every migration once when two migrators start together', async () => {
    const url = await freshDatabase();
    const [a, b] = await Promise.all([migrator(url), migrator(url)]);
    const run = (s: DataSource) =>
      withMigrationLock(s, { timeoutMs: 60000 }, (runner) => runMigrationsOn(s, runner));
    const [ra, rb] = await Promise.all([run(a), run(b)]);
    const applied = [...ra.result, ...rb.result];
    // One of the two applied everything, the other found nothing pending.
    expect([ra.result.length, rb.result.length].sort((x, y) => x - y)[0]).toBe(0);
    expect(applied.length).toBe(a.migrations.length);
    const rows = await a.query<{ name: string; n: string }[]>(
      'SELECT name, count(*) AS n FROM migrations GROUP BY name',
    );
    expect(rows.length).toBe(a.migrations.length);
    expect(rows.every((r) => Number(r.n) === 1)).toBe(true);
  });

  it('refuses with a clear error when the lock is not free in time', async () => {
    const url = await freshDatabase();
    const [a, b] = await Promise.all([migrator(url), migrator(url)]);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let aHolds!: () => void;
    const aHolding = new Promise<void>((resolve) => (aHolds = resolve));
    const holder = withMigrationLock(a, { timeoutMs: 10000 }, () => {
      aHolds();
      return held;
    });
    await aHolding;
    await expect(
      withMigrationLock(b, { timeoutMs: 1000 }, () => Promise.resolve('ran')),
    ).rejects.toThrow(/migration lock was not free within 1000 ms/);
    release();
    await holder;
    // Freed: the next holder gets it at once.
    await expect(
      withMigrationLock(b, { timeoutMs: 1000 }, () => Promise.resolve('ran')),
    ).resolves.toEqual(expect.objectContaining({ result: 'ran' }));
  });
});
