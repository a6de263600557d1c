import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createFileStorage,
  FileStorage,
  storageKey,
} from '../src/modules/files/storage/file-storage';
import { s3OptionsAt, startS3 } from '../test/support/s3-server';
import { median } from './lib/report';
import { timed } from './lib/timing';

/**
 * Figures for the file storage (not part of `npm run bench`): put/get/open of a 10 MiB file on
 * local disk and on s3rver, and how long the S3 storage takes to give up on a store that is down.
 *   npx ts-node --transpile-only bench/file-storage.ts [--rounds 10]
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const MiB = 1024 * 1024;
const roundsAt = process.argv.indexOf('--rounds');
const ROUNDS = roundsAt >= 0 ? Number(process.argv[roundsAt + 1]) : 10;
const SIZE = 10 * MiB;

async function throughput(label: string, storage: FileStorage): Promise<void> {
  const bytes = randomBytes(SIZE);
  const times = { put: [] as number[], get: [] as number[], open: [] as number[] };
  for (let i = 0; i < ROUNDS; i++) {
    const key = storageKey(randomUUID(), randomUUID());
    times.put.push(await timed(() => storage.put(key, bytes, 'application/octet-stream')));
    times.get.push(await timed(() => storage.get(key)));
    times.open.push(
      await timed(async () => {
        const { stream, size } = await storage.open(key);
        let read = 0;
        for await (const chunk of stream) read += (chunk as Buffer).length;
        if (read !== size) throw new Error(`open read ${read} of ${size} bytes`);
      }),
    );
    await storage.delete(key);
  }
  for (const [operation, ms] of Object.entries(times)) {
    const m = median(ms);
    console.log(
      `${label.padEnd(8)} ${operation.padEnd(5)} 10 MiB: median ${m.toFixed(1).padStart(6)} ms ` +
        `= ${(SIZE / MiB / (m / 1000)).toFixed(0).padStart(5)} MiB/s (${ROUNDS} rounds)`,
    );
  }
}

async function timeToFail(label: string, endpoint: string): Promise<void> {
  const storage = createFileStorage({ dataDir: tmpdir(), s3: s3OptionsAt(endpoint) });
  const started = performance.now();
  const outcome = await storage.get(storageKey(randomUUID(), randomUUID())).then(
    () => 'succeeded?!',
    (error: Error) => `${error.name}: ${error.message}`,
  );
  const getMs = performance.now() - started;
  const check = await storage.check();
  console.log(`${label}: get failed after ${getMs.toFixed(0)} ms (${outcome})`);
  console.log(`${label}: check() ok=${check.ok} after ${check.latencyMs} ms (${check.reason})`);
  await storage.close();
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-storage-'));
  const s3 = await startS3();
  try {
    await throughput('local', createFileStorage({ dataDir }));
    const onS3 = createFileStorage({ dataDir, s3: s3.options });
    await throughput('s3rver', onS3);
    await onS3.close();
  } finally {
    await s3.close();
    rmSync(dataDir, { recursive: true, force: true });
  }

  // Port 1 (tcpmux) is privileged and served by nothing.
  await timeToFail('closed port', 'http://127.0.0.1:1');

  // Takes the connection, never answers: the default 30 s request timeout, twice, for a get;
  // check() gives up after its own 2 s.
  const sockets = new Set<Socket>();
  const silent = createServer((socket) => void sockets.add(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const silentPort = (silent.address() as AddressInfo).port;
  if (process.argv.includes('--silent')) {
    await timeToFail('silent server', `http://127.0.0.1:${silentPort}`);
  } else {
    const storage = createFileStorage({
      dataDir: tmpdir(),
      s3: s3OptionsAt(`http://127.0.0.1:${silentPort}`),
    });
    const check = await storage.check();
    console.log(
      `silent server: check() ok=${check.ok} after ${check.latencyMs} ms (${check.reason}); ` +
        'a get waits 2 × 30 s (--silent to measure it)',
    );
    await storage.close();
  }
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => silent.close(() => resolve()));

  // A port whose accept queue is full drops further SYNs, as a firewall does: the 2 s connect
  // timeout, twice. (Unroutable addresses are no test here: this sandbox's proxy answers them.)
  const { port: droppingPort, stop } = await droppingSyns();
  await timeToFail('SYNs dropped', `http://127.0.0.1:${droppingPort}`);
  stop();
}

/** A listener (python3) that never accepts, its queue filled so that new SYNs go unanswered. */
async function droppingSyns(): Promise<{ port: number; stop: () => void }> {
  const listener = spawn('python3', [
    '-c',
    'import socket,sys,time\n' +
      's=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(0)\n' +
      'print(s.getsockname()[1], flush=True); time.sleep(600)',
  ]);
  const port = await new Promise<number>((resolve, reject) => {
    listener.stdout.once('data', (data: Buffer) => resolve(Number(String(data).trim())));
    listener.once('error', reject);
  });
  const fillers: Socket[] = [];
  for (let i = 0; i < 4; i++) {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    fillers.push(socket);
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  return {
    port,
    stop: () => {
      for (const socket of fillers) socket.destroy();
      listener.kill();
    },
  };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
