import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_JWT_SECRET } from '../support/app';
import { freePort } from '../support/service-process';

/** True when something accepts a TCP connection on the loopback port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('production boot without a model provider (a real process)', () => {
  it('exits non-zero, says what to set, and never listens', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'chat-prod-'));
    const port = await freePort();
    const env: Record<string, string | undefined> = {
      ...process.env,
      TS_NODE_TRANSPILE_ONLY: '1',
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: dataDir,
      JWT_SECRET: TEST_JWT_SECRET,
      // Never reached: configuration is refused before any connection is made.
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
      LOG_FORMAT: 'json',
    };
    for (const key of [
      'LLM_PROVIDER',
      'OPENAI_API_KEY',
      'OPENAI_BASE_URL',
      'MODELS_FILE',
      'MODELS_JSON',
    ]) {
      delete env[key];
    }
    const root = join(__dirname, '../..');
    const child = spawn(process.execPath, ['-r', 'ts-node/register', join(root, 'src/main.ts')], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    let everListened = false;
    let running = true;
    void exited.then(() => (running = false));
    try {
      while (running) {
        if (await listening(port)) everListened = true;
        await new Promise((r) => setTimeout(r, 100));
      }
      const code = await exited;
      expect(code).not.toBe(0);
      expect(code).not.toBeNull();
      expect(everListened).toBe(false);
      expect(output).toContain('Invalid configuration');
      expect(output).toMatch(/LLM_PROVIDER: no model provider is configured/);
      for (const key of [
        'OPENAI_API_KEY',
        'OPENAI_BASE_URL',
        'MODELS_FILE',
        'MODELS_JSON',
        'LLM_PROVIDER=offline',
      ]) {
        expect(output).toContain(key);
      }
      expect(output).not.toMatch(/listening on/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
