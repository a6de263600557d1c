/**
 * P3 — WebSocket scale (issue 6).
 *  idle:   as many idle authenticated sockets as the box allows, up to 10,000 (quick: 1,000);
 *          service RSS before/after (VmRSS) → RSS per connection, beside a bare `ws` server;
 *          short WS_HEARTBEAT_MS, held a while: every socket must still be open and pinged.
 *  active: 1,000 sockets (quick: 100), one user each, each sends one chat_message; the upstream
 *          streams 50 chunks/s (20 ms apart) per generation, each stamped with its write time;
 *          message_content frames/s delivered, and per-chunk delay (client arrival − upstream
 *          write) beside the same streams taken straight from the upstream.
 * Service, upstream and clients are three processes (PostgreSQL + Redis, production shape).
 *
 *   npx ts-node --transpile-only bench/p3-websocket.ts [--quick] [--json out.json] [--cpu-prof]
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeProfile } from './support/stream/profile';
import {
  BenchUser,
  cpuMeter,
  cpuMs,
  createConversations,
  createDatabase,
  fdLimit,
  LoadWorker,
  REDIS_URL,
  rssKiB,
  seedUsers,
  sleep,
  startLoadWorker,
  startService,
  startUpstream,
  Upstream,
} from './support/stream/processes';
import { emit, median, p99, parseArgs, quantile, Report, row } from './support/stream/report';
import type { StreamResult } from './support/stream/load-worker';

const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);
const INTERVAL_MS = 20;
const wsUrl = (httpUrl: string, token?: string) =>
  `${httpUrl.replace(/^http/, 'ws')}/api/v1/ws/chat${token ? `?token=${token}` : ''}`;

interface IdleOpen {
  opened: number;
  failed: number;
  errors: string[];
  ms: number;
  clientCpuPct: number;
}
interface IdleStatus {
  open: number;
  closed: number;
  pingsMin: number;
  pingsMax: number;
  closeCodes: Record<string, number>;
}

/** RSS in KiB, the median of a few readings a moment apart. */
async function steadyRss(pid: number): Promise<number> {
  const readings: number[] = [];
  for (let i = 0; i < 5; i++) {
    readings.push(rssKiB(pid));
    await sleep(300);
  }
  return median(readings);
}

/** Opens `count` idle sockets to `url(i)` and measures the RSS of `pid` around it. */
async function idleMemory(
  worker: LoadWorker,
  pid: number,
  url: (i: number) => string,
  count: number,
): Promise<{ before: number; after: number; open: IdleOpen }> {
  // Warm-up: the first connections initialise what every later one shares.
  await worker.run<IdleOpen>({
    kind: 'wsIdleOpen',
    urls: Array.from({ length: 50 }, (_, i) => url(i)),
    concurrency: 50,
  });
  await worker.run({ kind: 'wsIdleClose' });
  await sleep(1500);
  const before = await steadyRss(pid);
  const open = await worker.run<IdleOpen>({
    kind: 'wsIdleOpen',
    urls: Array.from({ length: count }, (_, i) => url(i)),
    concurrency: 200,
  });
  await sleep(2000);
  const after = await steadyRss(pid);
  return { before, after, open };
}

async function main(): Promise<void> {
  const args = parseArgs();
  const idleTarget = args.quick ? 1000 : 10_000;
  const activeCount = args.quick ? 100 : 1000;
  const chunks = args.quick ? 100 : 250;
  const heartbeatMs = args.quick ? 2000 : 5000;
  const holdMs = args.quick ? 7000 : 20_000;
  const profDir = args.cpuProf ? mkdtempSync(join(tmpdir(), 'bench-p3-prof-')) : undefined;
  const report: Report = {
    id: 'P3',
    title: 'WebSocket scale: idle connections and memory, concurrent streaming generations',
    rows: [],
    notes: [],
  };
  const ports = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
  const portRange = Number(ports[1]) - Number(ports[0]) + 1;

  const upstream: Upstream = await startUpstream();
  const worker = startLoadWorker();
  const db = await createDatabase('p3');
  const stops: (() => Promise<unknown>)[] = [];
  try {
    const base = { DATABASE_URL: db.url, OPENAI_BASE_URL: upstream.baseURL, REDIS_URL };

    // ---- idle ---------------------------------------------------------------------------
    console.log('P3 idle: bare ws baseline…');
    const bare = await startUpstream('bare-ws.ts');
    stops.push(() => bare.stop());
    const limits = {
      client: fdLimit(worker.pid),
      bare: fdLimit(bare.pid),
      ports: portRange,
    };
    let count = Math.min(idleTarget, limits.client - 500, limits.bare - 500, portRange - 1000);
    const bareUrl = bare.baseURL.replace(/\/v1$/, '').replace(/^http/, 'ws');
    const bareMem = await idleMemory(worker, bare.pid, () => bareUrl, count);
    await worker.run({ kind: 'wsIdleClose' });
    stops.pop();
    await bare.stop();

    console.log('P3 idle: starting the service (PostgreSQL + Redis)…');
    const idleService = await startService(
      { ...base, WS_HEARTBEAT_MS: String(heartbeatMs) },
      { cpuProfDir: profDir ? join(profDir, 'idle') : undefined },
    );
    stops.push(() => idleService.stop());
    const serviceFd = fdLimit(idleService.pid);
    count = Math.min(count, serviceFd - 1000);
    const idleUsers = await seedUsers(idleService, db.url, 100);
    console.log(
      `P3 idle: opening ${count} sockets (fd limits: clients ${limits.client}, service ${serviceFd}; ephemeral ports ${portRange})…`,
    );
    const mem = await idleMemory(
      worker,
      idleService.pid,
      (i) => wsUrl(idleService.url, idleUsers[i % idleUsers.length].token),
      count,
    );
    console.log(`P3 idle: holding ${holdMs} ms with WS_HEARTBEAT_MS=${heartbeatMs}…`);
    const holdMeter = cpuMeter({ service: idleService.pid });
    await sleep(holdMs);
    const holdCpu = holdMeter();
    const status = await worker.run<IdleStatus>({ kind: 'wsIdleStatus' });
    const afterHold = rssKiB(idleService.pid);
    await worker.run({ kind: 'wsIdleClose' });
    stops.pop();
    const idleProfile = await idleService.stop();

    const perConn = (mem.after - mem.before) / Math.max(1, mem.open.opened);
    const barePerConn = (bareMem.after - bareMem.before) / Math.max(1, bareMem.open.opened);
    const held = status.open;
    report.rows.push(
      row('idle: connections opened and held', held, 'sockets', {
        baseline: bareMem.open.opened,
        ...(args.quick ? {} : { target: '≥ 10000', met: held >= 10_000 }),
      }),
      row('idle: RSS per connection', perConn, 'KiB', {
        baseline: barePerConn,
        target: '≤ 64 KiB',
        met: perConn <= 64,
      }),
      row('idle: service RSS before', mem.before / 1024, 'MiB', {
        baseline: bareMem.before / 1024,
      }),
      row('idle: service RSS with the sockets open', mem.after / 1024, 'MiB', {
        baseline: bareMem.after / 1024,
      }),
      row('idle: opening rate', mem.open.opened / (mem.open.ms / 1000), 'sockets/s', {
        baseline: bareMem.open.opened / (bareMem.open.ms / 1000),
      }),
      row(`idle: server pings per socket over ${holdMs / 1000} s (min)`, status.pingsMin, 'pings'),
    );
    report.notes.push(
      `idle: tried ${count} (${args.quick ? 'quick mode: 1,000' : 'target 10,000'}); limits — open files: clients ${limits.client}, ` +
        `service ${serviceFd}, bare ws ${limits.bare} (soft = hard here, not raisable); ephemeral ports ${ports.join('–')} (${portRange}). ` +
        `${mem.open.failed} failed to open${mem.open.errors.length ? ` (${mem.open.errors.join('; ')})` : ''}; ` +
        `after ${holdMs / 1000} s with WS_HEARTBEAT_MS=${heartbeatMs}: ${status.open} open, ${status.closed} closed ` +
        `${JSON.stringify(status.closeCodes)}, pings per socket ${status.pingsMin}–${status.pingsMax}; service RSS after the hold ` +
        `${(afterHold / 1024).toFixed(1)} MiB, service CPU while holding ${holdCpu.service}% of one core. ` +
        `Sockets spread over ${idleUsers.length} users; baseline = a bare ws server (node http + ws, no auth), same client, same count.`,
    );
    if (idleProfile)
      report.notes.push('CPU profile (idle service, whole run):', ...describeProfile(idleProfile));

    // ---- active -------------------------------------------------------------------------
    console.log('P3 active: starting the service (PostgreSQL + Redis)…');
    const service = await startService(base, {
      cpuProfDir: profDir ? join(profDir, 'active') : undefined,
    });
    stops.push(() => service.stop());
    const users: BenchUser[] = await seedUsers(service, db.url, activeCount + 20);
    const conversations = await createConversations(service, users);
    const content = `chunks=${chunks} interval=${INTERVAL_MS}`;
    const job = (from: number, n: number, c: string) => ({
      kind: 'wsActive',
      urls: users.slice(from, from + n).map((u) => wsUrl(service.url, u.token)),
      conversationIds: conversations.slice(from, from + n),
      content: c,
      chunks,
      timeoutMs: 120_000,
    });
    // Warm-up on 20 users of their own.
    await worker.run(job(activeCount, 20, `chunks=10 interval=${INTERVAL_MS}`));
    await worker.run({
      kind: 'sse',
      target: 'direct',
      url: upstream.baseURL,
      streams: Array.from({ length: 20 }, () => ({})),
      content: `chunks=10 interval=${INTERVAL_MS}`,
      timeoutMs: 60_000,
    });

    console.log(`P3 active: ${activeCount} streams straight from the upstream (baseline)…`);
    const directMeter = cpuMeter({ upstream: upstream.pid });
    const direct = await worker.run<{ streams: StreamResult[]; clientCpuPct: number }>({
      kind: 'sse',
      target: 'direct',
      url: upstream.baseURL,
      streams: Array.from({ length: activeCount }, () => ({})),
      content,
      timeoutMs: 120_000,
    });
    const directCpu = directMeter();

    console.log(`P3 active: ${activeCount} generations over ${activeCount} sockets…`);
    const meter = cpuMeter({ service: service.pid, upstream: upstream.pid });
    const serviceCpuBefore = cpuMs(service.pid);
    const from = nowUs();
    const active = await worker.run<{
      sockets: number;
      ended: number;
      failed: number;
      errors: string[];
      delaysUs: Float64Array;
      arrivalsUs: Float64Array;
      startLatencyUs: number[];
      clientCpuPct: number;
      maxConcurrent: number;
    }>(job(0, activeCount, content));
    const window: [number, number] = [from, nowUs()];
    const cpu = meter();
    const serviceCpu = cpuMs(service.pid) - serviceCpuBefore;
    stops.pop();
    const activeProfile = await service.stop();

    const dDelays = direct.streams.flatMap((s) => s.delaysUs);
    const dFrames = direct.streams.reduce((n, s) => n + s.chunks, 0);
    const dFirst = Math.min(...direct.streams.map((s) => s.firstUs).filter(Number.isFinite));
    const dLast = Math.max(...direct.streams.map((s) => s.lastUs).filter(Number.isFinite));
    const dRate = dFrames / ((dLast - dFirst) / 1e6);
    const oDelays = Array.from(active.delaysUs);
    const arrivals = Array.from(active.arrivalsUs);
    let oFirst = Infinity;
    let oLast = -Infinity;
    for (const a of arrivals) {
      if (a < oFirst) oFirst = a;
      if (a > oLast) oLast = a;
    }
    const oRate = arrivals.length / ((oLast - oFirst) / 1e6);
    // Best one-second window (all generations running at once, if they ever are).
    const perSecond = new Map<number, number>();
    for (const a of arrivals) {
      const s = Math.floor((a - oFirst) / 1e6);
      perSecond.set(s, (perSecond.get(s) ?? 0) + 1);
    }
    const peak = Math.max(0, ...perSecond.values());
    const offered = activeCount * (1000 / INTERVAL_MS);
    const addedP50 = (median(oDelays) - median(dDelays)) / 1000;
    const addedP99 = (p99(oDelays) - p99(dDelays)) / 1000;
    report.rows.push(
      row('active: message_content frames/s delivered (overall)', oRate, 'frames/s', {
        baseline: dRate,
      }),
      row('active: frames/s, best 1-s window', peak, 'frames/s', { baseline: offered }),
      row('active: chunk delay p50 (upstream write → client)', median(oDelays) / 1000, 'ms', {
        baseline: median(dDelays) / 1000,
      }),
      row('active: chunk delay p99 (upstream write → client)', p99(oDelays) / 1000, 'ms', {
        baseline: p99(dDelays) / 1000,
      }),
      row('active: added delay p50', addedP50, 'ms'),
      row('active: added delay p99', addedP99, 'ms', { target: '≤ 20 ms', met: addedP99 <= 20 }),
      row('active: generations streaming at once (max)', active.maxConcurrent, 'generations', {
        baseline: activeCount,
      }),
      row(
        'active: service CPU per delivered frame (incl. starts)',
        (serviceCpu * 1000) / Math.max(1, oDelays.length),
        'µs',
      ),
      row('active: chat_message → message_start p50', median(active.startLatencyUs) / 1000, 'ms'),
      row('active: chat_message → message_start p99', p99(active.startLatencyUs) / 1000, 'ms'),
    );
    report.notes.push(
      `active: ${active.sockets} sockets (one user each), ${chunks} chunks per generation every ${INTERVAL_MS} ms ` +
        `(offered ${offered} frames/s once all run); ${active.ended} ended, ${active.failed} failed` +
        `${active.errors.length ? ` (${active.errors.slice(0, 2).join('; ')})` : ''}; ` +
        `${oDelays.length} content frames of ${activeCount * chunks} expected (direct: ${dFrames}). ` +
        `Delay p90/p999 ours ${(quantile(oDelays, 0.9) / 1000).toFixed(1)}/${(quantile(oDelays, 0.999) / 1000).toFixed(1)} ms, ` +
        `direct ${(quantile(dDelays, 0.9) / 1000).toFixed(1)}/${(quantile(dDelays, 0.999) / 1000).toFixed(1)} ms. ` +
        `CPU (% of one core): service ${cpu.service}, upstream ${cpu.upstream}, client process ${active.clientCpuPct} ` +
        `(baseline run: upstream ${directCpu.upstream}, client ${direct.clientCpuPct}). Added delay = ours − direct, quantile by quantile.`,
    );
    if (activeProfile)
      report.notes.push(
        'CPU profile (active service, measured run):',
        ...describeProfile(activeProfile, ...window),
      );
    report.notes.push(
      'Service: compiled (tsc), its own process, NODE_ENV=production, LOG_LEVEL=warn, PostgreSQL + Redis (stream log in Redis ' +
        'Streams: every follower holds its own Redis connection), DB_POOL_SIZE 10; rate limits and quotas raised so they do not ' +
        `interfere. Users: one registered over the API, the rest copied in SQL with sessions and signed tokens. Machine: ${cpus().length} ` +
        `cores shared with other work (load average at the end ${loadavg()
          .map((l) => l.toFixed(2))
          .join(', ')}).`,
    );
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await worker.stop();
    await upstream.stop();
    await db.drop().catch((e: unknown) => console.error(`could not drop ${db.url}: ${String(e)}`));
  }
  emit(report, args.json);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
