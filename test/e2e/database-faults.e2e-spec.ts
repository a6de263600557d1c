import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedPostgres } from '../../src/database/embedded-postgres';
import { bearer, registerUser, RegisteredUser } from '../factories';
import { bootApp, TestApp } from '../support/app';
import { TcpProxy } from '../support/tcp-proxy';

/** Polls until the request answers `status`, up to `limitMs`. */
async function eventually(
  probe: () => Promise<number>,
  status: number,
  limitMs: number,
): Promise<number> {
  const started = Date.now();
  let last = 0;
  while (Date.now() - started < limitMs) {
    last = await probe();
    if (last === status) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`still ${last} after ${limitMs} ms`);
}

describe('Database failures', () => {
  let t: TestApp;
  let proxy: TcpProxy;
  let embedded: EmbeddedPostgres | undefined;
  let embeddedDir: string | undefined;
  let user: RegisteredUser;
  let viaProxyUrl: string;

  beforeAll(async () => {
    // The app reaches its database through a proxy we can cut: the run's PostgreSQL
    // database when DATABASE_URL is set, otherwise an embedded PGlite started here.
    let target: URL;
    if (process.env.DATABASE_URL) {
      target = new URL(process.env.DATABASE_URL);
    } else {
      embeddedDir = mkdtempSync(join(tmpdir(), 'chat-faults-'));
      embedded = new EmbeddedPostgres(embeddedDir);
      target = new URL(await embedded.start());
    }
    proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    const port = await proxy.start();
    const viaProxy = new URL(target.toString());
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(port);
    viaProxyUrl = viaProxy.toString();
    t = await bootApp({
      DATABASE_URL: viaProxyUrl,
      DB_POOL_SIZE: embedded ? '1' : '4',
      DB_CONNECT_TIMEOUT_MS: '1000',
      DB_STATEMENT_TIMEOUT_MS: '1000',
    });
    user = await registerUser(t);
  });

  afterAll(async () => {
    proxy.setMode('pass');
    await t?.close();
    await proxy?.stop();
    await embedded?.stop();
    if (embeddedDir) rmSync(embeddedDir, { recursive: true, force: true });
  });

  const me = () => t.api().get('/api/v1/users/me').set(bearer(user.accessToken));

  it('answers 503 DATABASE_ERROR at once when the database refuses connections, and recovers by itself', async () => {
    expect((await me()).status).toBe(200);
    proxy.setMode('refuse');
    const started = Date.now();
    const res = await me();
    const elapsed = Date.now() - started;
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ success: false, error: { code: 'DATABASE_ERROR' } });
    expect(JSON.stringify(res.body)).not.toMatch(/SELECT|ECONN|stack|at \w+ \(/);
    // A bound against hanging, not a speed figure: connect timeout is 1 s here.
    expect(elapsed).toBeLessThan(5000);

    const health = await t.api().get('/api/v1/health');
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ status: 'unhealthy', services: { database: 'unhealthy' } });
    const ready = await t.api().get('/api/v1/health/ready');
    expect([ready.status, ready.body]).toEqual([
      503,
      { status: 'unavailable', database: 'down', draining: false },
    ]);
    expect((await t.api().get('/api/v1/health/live')).status).toBe(200);

    proxy.setMode('pass');
    const recoveredAfter = await eventually(async () => (await me()).status, 200, 15_000);
    console.log(
      `database refused: 503 after ${elapsed} ms; recovered ${recoveredAfter} ms after it returned`,
    );
  });

  it('answers 503 instead of hanging when the database stops answering', async () => {
    expect((await me()).status).toBe(200);
    // Pooled connections are open; the database now swallows every byte.
    proxy.setMode('blackhole');
    const started = Date.now();
    const res = await me();
    const elapsed = Date.now() - started;
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('DATABASE_ERROR');
    expect(elapsed).toBeLessThan(8000);
    proxy.setMode('pass');
    await eventually(async () => (await me()).status, 200, 15_000);
    console.log(`database silent: 503 after ${elapsed} ms`);
  });

  it('leaves no half-written record when a write fails', async () => {
    proxy.setMode('refuse');
    const res = await t.api().post('/api/v1/auth/register').send({
      username: 'during_outage',
      email: 'outage@example.com',
      password: 'password-123',
      confirm_password: 'password-123',
    });
    expect(res.status).toBe(503);
    proxy.setMode('pass');
    await eventually(async () => (await me()).status, 200, 15_000);
    const rows = await t.sql(
      `SELECT count(*)::int AS n FROM users WHERE username = 'during_outage'`,
    );
    expect(rows[0].n).toBe(0);
    const login = await t
      .api()
      .post('/api/v1/auth/login')
      .send({ username: 'during_outage', password: 'password-123' });
    expect(login.status).toBe(401);
  });
  // Last: it replaces the app with one whose connect timeout is far below the pool's wait, so
  // node-postgres's own connect timeout (`timeout expired`) is what the request meets.
  it("answers 503 DATABASE_ERROR, not 500, when connecting times out (node-postgres's `timeout expired`)", async () => {
    proxy.setMode('pass');
    await t.close();
    t = await bootApp({
      DATABASE_URL: viaProxyUrl,
      DB_POOL_SIZE: embedded ? '1' : '4',
      DB_CONNECT_TIMEOUT_MS: '300',
      DB_STATEMENT_TIMEOUT_MS: '4000',
    });
    expect((await me()).status).toBe(200);
    // Pooled connections are cut; new ones are accepted and never answered.
    proxy.setMode('refuse');
    await new Promise((r) => setTimeout(r, 100));
    proxy.setMode('blackhole');
    const started = Date.now();
    const res = await me();
    const elapsed = Date.now() - started;
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ success: false, error: { code: 'DATABASE_ERROR' } });
    expect(JSON.stringify(res.body)).not.toMatch(/timeout expired|stack|at \w+ \(/);
    proxy.setMode('pass');
    await eventually(async () => (await me()).status, 200, 15_000);
    console.log(`database connect timeout (300 ms): 503 after ${elapsed} ms`);
  });
});
