import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS } from '../../migrations';
import { startService } from '../support/service-process';

/** The migrate command on the embedded database (DATABASE_URL unset): no advisory lock there. */
function migrateEmbedded(
  dataDir: string,
  command: string,
): Promise<{ code: number | null; output: string }> {
  const root = join(__dirname, '../..');
  const env: Record<string, string | undefined> = {
    ...process.env,
    TS_NODE_TRANSPILE_ONLY: '1',
    DATA_DIR: dataDir,
  };
  delete env.DATABASE_URL;
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register', join(root, 'src/database/migrate.ts'), command],
    { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
}

describe('migrations on the embedded database (PGlite, one process)', () => {
  it('the migrate command runs them without a lock; the service then boots and finds none pending', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'chat-migrate-'));
    try {
      const pending = await migrateEmbedded(dataDir, 'status');
      expect(pending.code).toBe(2);
      expect(pending.output).toContain(`pending: ${MIGRATIONS.map((m) => m.name).join(', ')}`);

      const run = await migrateEmbedded(dataDir, 'run');
      expect(run.code).toBe(0);
      expect(run.output).toContain(`applied: ${MIGRATIONS.map((m) => m.name).join(', ')}`);
      expect(run.output).not.toMatch(/migration lock/);
      expect((await migrateEmbedded(dataDir, 'status')).output).toContain('no pending migrations');

      const service = await startService({ DATABASE_URL: undefined }, { dataDir });
      try {
        const line = service.logLines().find((l) => l.context === 'Migrations');
        expect(line?.msg).toBe('none pending');
        expect(service.logLines().filter((l) => Number(l.level) >= 40)).toEqual([]);
      } finally {
        await service.dispose();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});
