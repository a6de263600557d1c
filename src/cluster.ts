import cluster from 'node:cluster';

/** Worker deaths within CRASH_WINDOW_MS beyond which the primary gives up (exit 1). */
const MAX_CRASHES = 5;
const CRASH_WINDOW_MS = 60_000;

type Log = (level: 'info' | 'warn' | 'error', message: string) => void;

/** One JSON line, like the workers' own logs (the primary boots no Nest logger). */
const jsonLog: Log = (level, message) =>
  process.stdout.write(
    `${JSON.stringify({ level, time: new Date().toISOString(), context: 'Cluster', pid: process.pid, msg: message })}\n`,
  );

/**
 * The primary of CLUSTER_WORKERS > 1: forks the workers (each the whole service, sharing the
 * port through node:cluster; state is shared through PostgreSQL and Redis as between
 * replicas), the first alone until it listens — it runs the migrations — then the rest.
 * A worker that dies is replaced, unless they keep dying. SIGTERM/SIGINT go to every worker,
 * each drains as a single process does (SHUTDOWN_GRACE_MS); the primary exits when all have.
 */
export function runPrimary(workers: number, log: Log = jsonLog): void {
  let stopping = false;
  const crashes: number[] = [];
  const running = () => Object.keys(cluster.workers ?? {}).length;

  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (running() === 0) {
        log('info', 'every worker has stopped');
        process.exit(0);
      }
      return;
    }
    const now = Date.now();
    crashes.push(now);
    while (crashes.length > 0 && crashes[0] < now - CRASH_WINDOW_MS) crashes.shift();
    if (crashes.length > MAX_CRASHES) {
      log('error', `workers died ${crashes.length} times within a minute: giving up`);
      process.exit(1);
    }
    log(
      'warn',
      `worker ${worker.process.pid} died (${signal ?? `exit ${code}`}): starting another`,
    );
    cluster.fork();
  });

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log('info', `${signal} received: stopping ${running()} worker(s)`);
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
    if (running() === 0) process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  // The first worker alone until one listens (it has run the migrations), then the rest.
  cluster.once('listening', () => {
    for (let i = running(); i < workers && !stopping; i++) cluster.fork();
    log('info', `${workers} workers starting after the first one listens`);
  });
  log('info', `starting ${workers} workers`);
  cluster.fork();
}

export const isClusterWorker = (): boolean => cluster.isWorker;
