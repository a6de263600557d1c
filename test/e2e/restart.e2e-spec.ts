import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedPostgres } from '../../src/database/embedded-postgres';
import { bearer, registerUser } from '../factories';
import { bootApp } from '../support/app';

describe('Restarting the service', () => {
  let dataDir: string;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'chat-restart-'));
  });
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps the generated development JWT secret and the data, so tokens survive a restart', async () => {
    // No JWT_SECRET: development generates one under DATA_DIR.
    const first = await bootApp({ NODE_ENV: 'development', JWT_SECRET: undefined }, { dataDir });
    const user = await registerUser(first);
    await first.close();
    const secretFile = join(dataDir, 'jwt-secret');
    expect(existsSync(secretFile)).toBe(true);
    const secret = readFileSync(secretFile, 'utf8').trim();
    expect(secret.length).toBeGreaterThanOrEqual(32);

    const second = await bootApp({ NODE_ENV: 'development', JWT_SECRET: undefined }, { dataDir });
    try {
      const me = await second.api().get('/api/v1/users/me').set(bearer(user.accessToken));
      expect(me.status).toBe(200);
      expect(me.body.data.username).toBe(user.username);
      const refreshed = await second
        .api()
        .post('/api/v1/auth/refresh')
        .send({ refresh_token: user.refreshToken });
      expect(refreshed.status).toBe(200);
    } finally {
      await second.close();
    }
    expect(readFileSync(secretFile, 'utf8').trim()).toBe(secret);
  });
});

describe(EmbeddedPostgres.name, () => {
  it('refuses a second opening of the same data directory while the first holds it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chat-lock-'));
    const first = new EmbeddedPostgres(dir);
    try {
      await first.start();
      await expect(new EmbeddedPostgres(dir).start()).rejects.toThrow(/in use by process/);
    } finally {
      await first.stop();
    }
    expect(existsSync(`${first.directory}.lock`)).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes over a stale lock left by a dead process', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chat-lock-'));
    const db = new EmbeddedPostgres(dir);
    writeFileSync(`${db.directory}.lock`, '2147483646');
    try {
      const url = await db.start();
      expect(url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
    } finally {
      await db.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
