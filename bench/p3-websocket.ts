/**
 * P3 — WebSocket scale (issue 6).
 *  idle:   as many idle authenticated sockets as the box allows, up to 10,000 (quick: 1,000);
 *          service RSS before/after (VmRSS) → RSS per connection, beside a bare `ws` server;
 *          short WS_HEARTBEAT_MS, held a while: every socket must still be open and pinged.
 *  active: 200 and 1,000 sockets (quick: 50 and 100), one user each, each sends one
 *          chat_message at once; the upstream streams 50 chunks/s (20 ms apart) per generation,
 *          each stamped with its write time; message_content frames/s delivered, gaps between
 *          frames, per-chunk delay (client arrival − upstream write), failures by cause and
 *          chat_message → message_start, beside the same streams taken straight from the
 *          upstream and the same generations on bench/baseline/floor-server.ts (issue 12).
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
  startFloor,
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

interface ActiveRun {
  count: number;
  chunks: number;
  main: boolean;
}

/** What the load worker's wsActive job answers. */
interface ActiveResult {
  sockets: number;
  ended: number;
  failed: number;
  timedOut: number;
  failures: Record<string, number>;
  errors: string[];
  delaysUs: Float64Array;
  arrivalsUs: Float64Array;
  gapsUs: Float64Array;
  startLatencyUs: number[];
  clientCpuPct: number;
  maxConcurrent: number;
}

/** Delivered rate over the whole run, best 1-s window, delays and gaps of one wsActive run. */
function summarize(r: ActiveResult): {
  rate: number;
  peak: number;
  delays: number[];
  gaps: number[];
} {
  const arrivals = Array.from(r.arrivalsUs);
  let first = Infinity;
  let last = -Infinity;
  for (const a of arrivals) {
    if (a < first) first = a;
    if (a > last) last = a;
  }
  const perSecond = new Map<number, number>();
  for (const a of arrivals) {
    const s = Math.floor((a - first) / 1e6);
    perSecond.set(s, (perSecond.get(s) ?? 0) + 1);
  }
  return {
    rate: arrivals.length > 1 ? arrivals.length / ((last - first) / 1e6) : NaN,
    peak: Math.max(0, ...perSecond.values()),
    delays: Array.from(r.delaysUs),
    gaps: Array.from(r.gapsUs),
  };
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
  // Issue 12's 200 generations at 50 chunks/s, and issue 6's 1,000 started at once (`main`:
  // the run the targets and the CPU profile are about). Quick mode keeps both small.
  const activeRuns: ActiveRun[] = args.quick
    ? [
        { count: 50, chunks: 100, main: false },
        { count: 100, chunks: 100, main: true },
      ]
    : [
        { count: 200, chunks: 250, main: false },
        { count: 1000, chunks: 250, main: true },
      ];
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
    console.log('P3 active: starting the floor and the service (PostgreSQL + Redis)…');
    const floor = await startFloor(upstream.baseURL);
    stops.push(() => floor.stop());
    const service = await startService(base, {
      cpuProfDir: profDir ? join(profDir, 'active') : undefined,
    });
    stops.push(() => service.stop());
    const largest = Math.max(...activeRuns.map((r) => r.count));
    const users: BenchUser[] = await seedUsers(service, db.url, largest + 20);
    // Fresh conversations for every run (and 20 for the warm-up), one per socket.
    const owners = [...activeRuns.flatMap((r) => users.slice(0, r.count)), ...users.slice(0, 20)];
    const conversations = await createConversations(service, owners);
    const warmupConversations = conversations.slice(-20);
    const warm = `chunks=10 interval=${INTERVAL_MS}`;
    const wsJob = (url: string, n: number, ids: string[], c: string, chunksPer: number) => ({
      kind: 'wsActive',
      urls: users.slice(0, n).map((u) => wsUrl(url, u.token)),
      conversationIds: ids,
      content: c,
      chunks: chunksPer,
      timeoutMs: 120_000,
    });
    // Warm-up on every path.
    await worker.run(wsJob(service.url, 20, warmupConversations, warm, 10));
    await worker.run(wsJob(floor.url, 20, warmupConversations, warm, 10));
    await worker.run({
      kind: 'sse',
      target: 'direct',
      url: upstream.baseURL,
      streams: Array.from({ length: 20 }, () => ({})),
      content: warm,
      timeoutMs: 60_000,
    });

    let profileWindow: [number, number] | undefined;
    let offset = 0;
    for (const run of activeRuns) {
      const ids = conversations.slice(offset, offset + run.count);
      offset += run.count;
      const label = `active ${run.count}`;
      const content = `chunks=${run.chunks} interval=${INTERVAL_MS}`;
      console.log(`P3 ${label}: ${run.count} streams straight from the upstream (baseline)…`);
      const directMeter = cpuMeter({ upstream: upstream.pid });
      const direct = await worker.run<{ streams: StreamResult[]; clientCpuPct: number }>({
        kind: 'sse',
        target: 'direct',
        url: upstream.baseURL,
        streams: Array.from({ length: run.count }, () => ({})),
        content,
        timeoutMs: 120_000,
      });
      const directCpu = directMeter();
      // The floor before the service: generations the service has not finished by its
      // timeout would otherwise still load the machine during the floor's run.
      console.log(`P3 ${label}: ${run.count} generations over ${run.count} sockets on the floor…`);
      const floorCpuBefore = cpuMs(floor.pid);
      const onFloor = await worker.run<ActiveResult>(
        wsJob(floor.url, run.count, ids, content, run.chunks),
      );
      const floorCpu = cpuMs(floor.pid) - floorCpuBefore;
      console.log(`P3 ${label}: ${run.count} generations over ${run.count} sockets…`);
      const meter = cpuMeter({ service: service.pid, upstream: upstream.pid });
      const serviceCpuBefore = cpuMs(service.pid);
      const from = nowUs();
      const active = await worker.run<ActiveResult>(
        wsJob(service.url, run.count, ids, content, run.chunks),
      );
      if (run.main) profileWindow = [from, nowUs()];
      const cpu = meter();
      const serviceCpu = cpuMs(service.pid) - serviceCpuBefore;

      const dDelays = direct.streams.flatMap((st) => st.delaysUs);
      const dGaps = direct.streams.flatMap((st) => st.gapsUs);
      const dFrames = direct.streams.reduce((n, st) => n + st.chunks, 0);
      const dFirst = Math.min(...direct.streams.map((st) => st.firstUs).filter(Number.isFinite));
      const dLast = Math.max(...direct.streams.map((st) => st.lastUs).filter(Number.isFinite));
      const dRate = dFrames / ((dLast - dFirst) / 1e6);
      const ours = summarize(active);
      const fl = summarize(onFloor);
      const offered = run.count * (1000 / INTERVAL_MS);
      const addedP50 = (median(ours.delays) - median(dDelays)) / 1000;
      const addedP99 = (p99(ours.delays) - p99(dDelays)) / 1000;
      const floorAddedP99 = (p99(fl.delays) - p99(dDelays)) / 1000;
      const starts = (r: ActiveResult) => Math.max(1, r.startLatencyUs.length);
      report.rows.push(
        row(`${label}: generations completed`, active.ended, 'generations', {
          baseline: onFloor.ended,
          ...(run.main ? { target: `all ${run.count}`, met: active.ended === run.count } : {}),
        }),
        row(`${label}: message_content frames/s delivered (overall)`, ours.rate, 'frames/s', {
          baseline: dRate,
        }),
        row(`${label}: floor frames/s delivered (overall)`, fl.rate, 'frames/s', {
          baseline: dRate,
        }),
        row(`${label}: frames/s, best 1-s window`, ours.peak, 'frames/s', { baseline: offered }),
        row(`${label}: gap between frames of a generation p99`, p99(ours.gaps) / 1000, 'ms', {
          baseline: p99(dGaps) / 1000,
        }),
        row(`${label}: floor gap between frames p99`, p99(fl.gaps) / 1000, 'ms', {
          baseline: p99(dGaps) / 1000,
        }),
        row(
          `${label}: chunk delay p50 (upstream write → client)`,
          median(ours.delays) / 1000,
          'ms',
          {
            baseline: median(dDelays) / 1000,
          },
        ),
        row(`${label}: chunk delay p99 (upstream write → client)`, p99(ours.delays) / 1000, 'ms', {
          baseline: p99(dDelays) / 1000,
        }),
        row(`${label}: added delay p50`, addedP50, 'ms'),
        row(
          `${label}: added delay p99`,
          addedP99,
          'ms',
          run.main ? { target: '≤ 20 ms', met: addedP99 <= 20 } : {},
        ),
        row(`${label}: floor added delay p99`, floorAddedP99, 'ms'),
        row(`${label}: generations streaming at once (max)`, active.maxConcurrent, 'generations', {
          baseline: onFloor.maxConcurrent,
        }),
        row(
          `${label}: chat_message → message_start p50`,
          median(active.startLatencyUs) / 1000,
          'ms',
          { baseline: median(onFloor.startLatencyUs) / 1000 },
        ),
        row(`${label}: chat_message → message_start p99`, p99(active.startLatencyUs) / 1000, 'ms', {
          baseline: p99(onFloor.startLatencyUs) / 1000,
        }),
        row(
          `${label}: service CPU per start (start + its chunks)`,
          serviceCpu / starts(active),
          'ms',
          {
            baseline: floorCpu / starts(onFloor),
          },
        ),
        row(
          `${label}: service CPU per delivered frame (incl. starts)`,
          (serviceCpu * 1000) / Math.max(1, ours.delays.length),
          'µs',
          { baseline: (floorCpu * 1000) / Math.max(1, fl.delays.length) },
        ),
      );
      const failures = (r: ActiveResult) =>
        Object.keys(r.failures).length ? JSON.stringify(r.failures) : 'none';
      report.notes.push(
        `${label}: ${run.count} sockets (one user each), ${run.chunks} chunks per generation every ${INTERVAL_MS} ms ` +
          `(offered ${offered} frames/s once all run). Service: ${active.ended} ended, failures by cause ${failures(active)}` +
          `${active.errors.length ? ` (first: ${active.errors.slice(0, 2).join('; ')})` : ''}; ` +
          `${ours.delays.length} content frames of ${run.count * run.chunks} expected. Floor: ${onFloor.ended} ended, failures ` +
          `${failures(onFloor)}; ${fl.delays.length} frames. Direct: ${dFrames} frames. ` +
          `Delay p90/p999 service ${(quantile(ours.delays, 0.9) / 1000).toFixed(1)}/${(quantile(ours.delays, 0.999) / 1000).toFixed(1)} ms, ` +
          `floor ${(quantile(fl.delays, 0.9) / 1000).toFixed(1)}/${(quantile(fl.delays, 0.999) / 1000).toFixed(1)} ms, ` +
          `direct ${(quantile(dDelays, 0.9) / 1000).toFixed(1)}/${(quantile(dDelays, 0.999) / 1000).toFixed(1)} ms. ` +
          `CPU (% of one core): service ${cpu.service}, upstream ${cpu.upstream}, client process ${active.clientCpuPct} ` +
          `(direct run: upstream ${directCpu.upstream}, client ${direct.clientCpuPct}; floor run: client ${onFloor.clientCpuPct}). ` +
          'Added delay = ours − direct, quantile by quantile; gap = time between consecutive content frames of one generation at the client; ' +
          'CPU per start = process CPU over the run / generations started (message_start received).',
      );
    }
    stops.pop();
    const activeProfile = await service.stop();
    stops.pop();
    await floor.stop();
    if (activeProfile)
      report.notes.push(
        'CPU profile (active service, the largest run):',
        ...describeProfile(activeProfile, ...(profileWindow ?? [])),
      );
    report.notes.push(
      'Floor: bench/baseline/floor-server.ts, its own process — node:http + ws, no database or Redis; it checks the token at the ' +
        'handshake (HS256 with node:crypto), streams each chat_message from the same upstream and writes the same message_start, ' +
        "message_content… and message_end frames. Rows with the floor as baseline read as the service's cost above this machine's floor.",
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
