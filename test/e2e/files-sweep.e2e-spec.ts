import { randomUUID } from 'node:crypto';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FilesSweeper } from '../../src/modules/files/files-sweeper';
import { aConversation, bearer, registerUser } from '../factories';
import { useFakeApp } from '../support/fake-app';
import { storedObjects, uploadFile } from '../support/files';
import { usePrivateDatabase } from '../support/private-database';
import { TITLES_OFF } from '../support/titles';

/** Sets a stored object's modification time `seconds` in the past. */
function age(dataDir: string, key: string, seconds: number): void {
  const past = new Date(Date.now() - seconds * 1000);
  utimesSync(join(dataDir, 'files', key), past, past);
}

describe('File sweeps (API.md §10 lifecycle)', () => {
  // The sweeps and their job lease are database-wide: this suite's apps alone take part.
  const database = usePrivateDatabase();
  const ctx = useFakeApp(() => ({
    ...database.env(),
    ...TITLES_OFF,
    FILE_UNATTACHED_TTL: '2s',
    FILE_ORPHAN_AGE: '60s',
    FILE_SWEEP_INTERVAL: '1h',
  }));
  const sweep = () => ctx.t.app.get(FilesSweeper).sweep();
  const rowsOf = async (userId: string) =>
    (await ctx.t.sql<{ id: string }>('SELECT id FROM files WHERE user_id = $1', [userId])).map(
      (r) => r.id,
    );

  it('deletes uploads never attached once FILE_UNATTACHED_TTL has passed, and keeps attached ones', async () => {
    const user = await registerUser(ctx.t);
    const loose = await uploadFile(ctx.t, user.accessToken, Buffer.from('never used'), 'loose.txt');
    const kept = await uploadFile(ctx.t, user.accessToken, Buffer.from('attached'), 'kept.txt');
    const conversation = await aConversation(ctx.t, user);
    await ctx.t
      .api()
      .post(`/api/v1/conversations/${conversation.id}/messages`)
      .set(bearer(user.accessToken))
      .send({ content: 'see file', attachments: [kept.id] })
      .expect(201);
    expect(await sweep()).not.toBeNull();
    expect((await rowsOf(user.id)).sort()).toEqual([loose.id, kept.id].sort());
    await ctx.t.sql(`UPDATE files SET created_at = now() - interval '1 hour' WHERE user_id = $1`, [
      user.id,
    ]);
    const swept = await sweep();
    expect(swept?.unattached).toBe(1);
    expect(await rowsOf(user.id)).toEqual([kept.id]);
    expect(storedObjects(ctx.t.dataDir)).not.toContain(`${user.id}/${loose.id}`);
    const [usage] = await ctx.t.sql<{ bytes: string; files: number }>(
      'SELECT bytes, files FROM storage_usage WHERE user_id = $1',
      [user.id],
    );
    expect({ bytes: Number(usage.bytes), files: usage.files }).toEqual({
      bytes: kept.size,
      files: 1,
    });
  });

  it('deletes stored bytes without a row once FILE_ORPHAN_AGE has passed, never younger ones', async () => {
    const user = await registerUser(ctx.t);
    const file = await uploadFile(ctx.t, user.accessToken, Buffer.from('has a row'), 'row.txt');
    // Bytes whose row was never written (a crash between the two writes).
    const orphanKey = `${user.id}/${randomUUID()}`;
    const youngKey = `${user.id}/${randomUUID()}`;
    mkdirSync(join(ctx.t.dataDir, 'files', user.id), { recursive: true });
    writeFileSync(join(ctx.t.dataDir, 'files', orphanKey), 'orphan');
    writeFileSync(join(ctx.t.dataDir, 'files', youngKey), 'young');
    age(ctx.t.dataDir, orphanKey, 3600);
    age(ctx.t.dataDir, `${user.id}/${file.id}`, 3600);
    const swept = await sweep();
    expect(swept?.orphanedBytes).toBe(1);
    const left = storedObjects(ctx.t.dataDir);
    expect(left).not.toContain(orphanKey);
    expect(left).toContain(youngKey);
    expect(left).toContain(`${user.id}/${file.id}`);
  });

  it("removes a deleted user's files: the rows go with the account, the bytes with the sweep", async () => {
    const user = await registerUser(ctx.t);
    const file = await uploadFile(ctx.t, user.accessToken, Buffer.from('mine'), 'mine.txt');
    await ctx.t.sql('DELETE FROM users WHERE id = $1', [user.id]);
    expect(await ctx.t.sql('SELECT 1 FROM files WHERE id = $1', [file.id])).toHaveLength(0);
    age(ctx.t.dataDir, `${user.id}/${file.id}`, 3600);
    await sweep();
    expect(storedObjects(ctx.t.dataDir)).not.toContain(`${user.id}/${file.id}`);
  });

  it('runs on one replica at a time: a second holder does not get the job lease', async () => {
    await ctx.t.sql(
      `UPDATE job_leases SET holder = 'another-replica', expires_at = now() + interval '1 minute'
        WHERE name = 'files.sweep'`,
    );
    expect(await sweep()).toBeNull();
    await ctx.t.sql(`UPDATE job_leases SET expires_at = now() - interval '1 second'`);
    expect(await sweep()).not.toBeNull();
  });
});
