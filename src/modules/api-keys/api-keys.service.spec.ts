import { AppConfig } from '../../config/app-config';
import { validateEnv } from '../../config/env';
import type { Transactions, Tx } from '../../database/transactions';
import { MemoryEventBus, type BusEvents } from '../../redis/event-bus';
import type { AuthUser } from '../auth/auth-user';
import type { UsersRepository } from '../users/users.repository';
import { ApiKeySecret } from './api-key-secret';
import { ApiKeyEntity } from './api-key.entity';
import type { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysService, MAX_LIVE_API_KEYS } from './api-keys.service';

const USER = '00000000-0000-4000-8000-000000000001';
const actor: AuthUser = {
  id: USER,
  sessionId: 'session-1',
  username: 'alice',
  role: 'user',
  isVip: false,
};

/** A key table in memory: only what the service calls. */
function fakeKeys() {
  const rows: ApiKeyEntity[] = [];
  const repo: Pick<
    ApiKeysRepository,
    'lockUser' | 'countLive' | 'insert' | 'listByUser' | 'revokeOwned'
  > = {
    lockUser: (userId) => Promise.resolve(userId === USER),
    countLive: (userId) =>
      Promise.resolve(rows.filter((r) => r.userId === userId && !r.revokedAt).length),
    insert: (input) => {
      const row = Object.assign(new ApiKeyEntity(), {
        id: `key-${rows.length + 1}`,
        userId: input.userId,
        name: input.name,
        prefix: input.prefix,
        hash: input.hash,
        createdAt: new Date(),
        expiresAt: null,
        lastUsedAt: null,
        revokedAt: null,
      });
      rows.push(row);
      return Promise.resolve(row);
    },
    listByUser: (userId, { includeRevoked }) =>
      Promise.resolve(rows.filter((r) => r.userId === userId && (includeRevoked || !r.revokedAt))),
    revokeOwned: (keyId, userId) => {
      const row = rows.find((r) => r.id === keyId && r.userId === userId && !r.revokedAt);
      if (row) row.revokedAt = new Date();
      return Promise.resolve(row !== undefined);
    },
  };
  return { rows, repo: repo as ApiKeysRepository };
}

function setup() {
  const { rows, repo } = fakeKeys();
  const tx: Pick<Transactions, 'run'> = { run: (work) => work({} as Tx) };
  const users: Pick<UsersRepository, 'findById'> = {
    findById: (id) => Promise.resolve(id === USER ? ({ id } as never) : null),
  };
  const bus = new MemoryEventBus();
  const revoked: BusEvents['session.revoked'][] = [];
  bus.subscribe('session.revoked', (e) => revoked.push(e));
  const secret = new ApiKeySecret(new AppConfig(validateEnv({ JWT_SECRET: 'x'.repeat(40) })));
  const service = new ApiKeysService(
    tx as Transactions,
    repo,
    users as UsersRepository,
    secret,
    bus,
  );
  return { service, rows, revoked, secret };
}

describe(ApiKeysService.name, () => {
  describe('create', () => {
    it('stores the hash and prefix of the key it answers, never the key', async () => {
      const { service, rows, secret } = setup();
      const created = await service.create(actor, { name: 'script' });
      expect(rows).toHaveLength(1);
      expect(rows[0].hash).toBe(secret.hashOf(created.key));
      expect(rows[0].prefix).toBe(created.prefix);
      expect(JSON.stringify(rows[0])).not.toContain(created.key);
    });

    it(`refuses the ${MAX_LIVE_API_KEYS + 1}st live key with 422 on api_keys, with the limit`, async () => {
      const { service, rows } = setup();
      for (let i = 0; i < MAX_LIVE_API_KEYS; i++) await service.create(actor, { name: `k${i}` });
      await expect(service.create(actor, { name: 'one more' })).rejects.toMatchObject({
        code: 'VALIDATION_ERROR',
        details: { field: 'api_keys', limit: MAX_LIVE_API_KEYS },
      });
      expect(rows).toHaveLength(MAX_LIVE_API_KEYS);
    });
  });

  describe('revoke', () => {
    it('revokes and announces the key as an ended session, so every replica drops it', async () => {
      const { service, revoked } = setup();
      const created = await service.create(actor, { name: 'script' });
      expect(await service.revoke(actor, created.id)).toBeNull();
      expect(revoked).toEqual([{ userId: USER, sessionIds: [created.id] }]);
      expect((await service.list(actor)).api_keys).toEqual([]);
    });

    it("answers 404 for an unknown, another user's or a revoked key, announcing nothing", async () => {
      const { service, revoked } = setup();
      const created = await service.create(actor, { name: 'script' });
      const stranger = { ...actor, id: '00000000-0000-4000-8000-000000000002' };
      await expect(service.revoke(stranger, created.id)).rejects.toMatchObject({
        code: 'RESOURCE_NOT_FOUND',
      });
      await service.revoke(actor, created.id);
      revoked.length = 0;
      await expect(service.revoke(actor, created.id)).rejects.toMatchObject({
        code: 'RESOURCE_NOT_FOUND',
      });
      expect(revoked).toEqual([]);
    });
  });

  describe('listOfUser', () => {
    it('lists revoked keys too, with revoked_at and no key or hash; 404 for an unknown user', async () => {
      const { service } = setup();
      const a = await service.create(actor, { name: 'a' });
      await service.revoke(actor, a.id);
      const { api_keys } = await service.listOfUser(USER);
      expect(api_keys).toHaveLength(1);
      expect(api_keys[0].revoked_at).not.toBeNull();
      expect(Object.keys(api_keys[0])).not.toEqual(expect.arrayContaining(['key', 'hash']));
      await expect(
        service.listOfUser('00000000-0000-4000-8000-000000000009'),
      ).rejects.toMatchObject({ code: 'RESOURCE_NOT_FOUND' });
    });
  });
});
