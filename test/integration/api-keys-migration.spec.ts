import { DataSource } from 'typeorm';
import { ApiKeys1796820000000 } from '../../migrations/1796820000000-ApiKeys';
import { ApiKeysRepository } from '../../src/modules/api-keys/api-keys.repository';
import { ApiKeysService } from '../../src/modules/api-keys/api-keys.service';
import type { AuthUser } from '../../src/modules/auth/auth-user';
import { registerUser } from '../factories';
import { bootApp, TestApp } from '../support/app';

/**
 * migrations/1796820000000-ApiKeys.ts and the real repository and service on it: the constraints
 * the database keeps (unique hash, cascade with the user), and a revert and re-apply. Always its
 * own embedded database (never the run's shared PostgreSQL one): reverting drops the table.
 */
describe(ApiKeys1796820000000.name, () => {
  let t: TestApp;
  let dataSource: DataSource;

  beforeAll(async () => {
    t = await bootApp({ DATABASE_URL: undefined, REDIS_URL: undefined });
    dataSource = t.app.get(DataSource);
  });
  afterAll(async () => {
    await t.close();
  });

  const tableExists = async () =>
    (await t.sql(`SELECT 1 FROM information_schema.tables WHERE table_name = 'api_keys'`))
      .length === 1;
  const actor = async (): Promise<AuthUser> => {
    const user = await registerUser(t);
    return { id: user.id, sessionId: user.id, username: user.username, role: 'user', isVip: false };
  };

  it('keeps hashes unique and drops the keys of a deleted user', async () => {
    const service = t.app.get(ApiKeysService);
    const owner = await actor();
    const created = await service.create(owner, { name: 'first' });
    const [{ hash }] = await t.sql<{ hash: string }>(`SELECT hash FROM api_keys WHERE id = $1`, [
      created.id,
    ]);
    await expect(
      t.sql(`INSERT INTO api_keys (user_id, name, prefix, hash) VALUES ($1, 'copy', 'sk-x', $2)`, [
        owner.id,
        hash,
      ]),
    ).rejects.toThrow(/api_keys_hash_unique/);
    await expect(
      t.sql(`INSERT INTO api_keys (user_id, name, prefix, hash) VALUES ($1, '', 'sk-x', $2)`, [
        owner.id,
        'f'.repeat(64),
      ]),
    ).rejects.toThrow(/api_keys_name_check/);

    await t.sql(`DELETE FROM users WHERE id = $1`, [owner.id]);
    expect(await t.sql(`SELECT 1 FROM api_keys WHERE user_id = $1`, [owner.id])).toEqual([]);
  });

  it('counts live keys only: revoked and expired ones leave the count', async () => {
    const service = t.app.get(ApiKeysService);
    const repo = t.app.get(ApiKeysRepository);
    const owner = await actor();
    const a = await service.create(owner, { name: 'a' });
    const b = await service.create(owner, { name: 'b', expires_in_days: 1 });
    await service.create(owner, { name: 'c' });
    const count = () => dataSource.transaction((tx) => repo.countLive(owner.id, tx));
    expect(await count()).toBe(3);
    await service.revoke(owner, a.id);
    await t.sql(`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, [
      b.id,
    ]);
    expect(await count()).toBe(1);
  });

  it('reverts (the table and its indexes gone) and applies again', async () => {
    while (await tableExists()) await dataSource.undoLastMigration();
    expect(await t.sql(`SELECT 1 FROM pg_indexes WHERE indexname LIKE 'api_keys%'`)).toEqual([]);
    await dataSource.runMigrations();
    expect(await tableExists()).toBe(true);
    const indexes = await t.sql<{ indexname: string }>(
      `SELECT indexname FROM pg_indexes WHERE tablename = 'api_keys' ORDER BY indexname`,
    );
    expect(indexes.map((i) => i.indexname)).toEqual([
      'api_keys_hash_unique',
      'api_keys_pk',
      'api_keys_user_created_idx',
      'api_keys_user_unrevoked_idx',
    ]);
    const service = t.app.get(ApiKeysService);
    expect((await service.create(await actor(), { name: 'after' })).key).toMatch(/^sk-/);
  });
});
