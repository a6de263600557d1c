/**
 * P2 — streaming overhead (issue 6). A local OpenAI-compatible upstream (its own process)
 * streams a chunk every 10 ms, each stamped with its write time; N concurrent streams go
 * through POST /api/v1/conversations/{id}/messages/stream (SSE) of the service (its own
 * process, PostgreSQL + Redis) and, as the baseline, the same N straight from the upstream,
 * from a load process of their own. Per stream: time to first token (request sent → first
 * content) and the gaps between chunks; per chunk: arrival − upstream write.
 *
 *   npx ts-node --transpile-only bench/p2-streaming.ts [--quick] [--json out.json] [--cpu-prof]
 */
import { mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeProfile } from './support/stream/profile';
import {
  BenchUser,
  cpuMeter,
  cpuMs,
  createConversations,
  createDatabase,
  LoadWorker,
  REDIS_URL,
  seedUsers,
  Service,
  startLoadWorker,
  startService,
  startUpstream,
  Upstream,
} from './support/stream/processes';
import { emit, median, p99, parseArgs, Report, Row, row } from './support/stream/report';
import type { StreamResult } from './support/stream/load-worker';

const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);
const ms = (us: number) => us / 1000;
const INTERVAL_MS = 10;

interface Level {
  n: number;
  rounds: number;
}

interface Measured {
  ours: StreamResult[];
  direct: StreamResult[];
  cpu: Record<string, number>;
  clientCpu: number[];
  /** Service CPU time (ms) spent during the rounds through it. */
  serviceCpuMs: number;
}

async function round(
  worker: LoadWorker,
  target: 'ours' | 'direct',
  url: string,
  streams: { token?: string; conversationId?: string }[],
  content: string,
): Promise<{ streams: StreamResult[]; clientCpuPct: number }> {
  return worker.run({ kind: 'sse', target, url, streams, content, timeoutMs: 60_000 });
}

/** Runs the levels against one service instance; conversations are fresh for every stream. */
async function measure(
  service: Service,
  upstream: Upstream,
  worker: LoadWorker,
  users: BenchUser[],
  levels: Level[],
  content: string,
): Promise<{ results: Map<number, Measured>; window: [number, number] }> {
  const owners: BenchUser[] = [];
  const warmup = 10;
  for (let i = 0; i < warmup; i++) owners.push(users[i % users.length]);
  for (const level of levels)
    for (let r = 0; r < level.rounds; r++)
      for (let i = 0; i < level.n; i++) owners.push(users[i % users.length]);
  const conversations = await createConversations(service, owners);
  let next = 0;
  const take = (n: number) =>
    Array.from({ length: n }, () => {
      const i = next++;
      return { token: owners[i].token, conversationId: conversations[i] };
    });
  const direct = (n: number) => Array.from({ length: n }, () => ({}));

  // Warm-up: JIT, connection pools, prepared statements, on both paths.
  await round(worker, 'direct', upstream.baseURL, direct(warmup), content);
  await round(worker, 'ours', service.url, take(warmup), content);

  const results = new Map<number, Measured>();
  const from = nowUs();
  for (const level of levels) {
    const m: Measured = { ours: [], direct: [], cpu: {}, clientCpu: [], serviceCpuMs: 0 };
    const meter = cpuMeter({ service: service.pid, upstream: upstream.pid, client: worker.pid });
    for (let r = 0; r < level.rounds; r++) {
      // Alternate which goes first so drift in the machine's load hits both alike.
      const order: ('ours' | 'direct')[] = r % 2 === 0 ? ['direct', 'ours'] : ['ours', 'direct'];
      for (const target of order) {
        const cpuBefore = cpuMs(service.pid);
        const res =
          target === 'ours'
            ? await round(worker, 'ours', service.url, take(level.n), content)
            : await round(worker, 'direct', upstream.baseURL, direct(level.n), content);
        if (target === 'ours') m.serviceCpuMs += cpuMs(service.pid) - cpuBefore;
        m[target].push(...res.streams);
        m.clientCpu.push(res.clientCpuPct);
      }
    }
    m.cpu = meter();
    results.set(level.n, m);
  }
  return { results, window: [from, nowUs()] };
}

function rowsOf(label: string, m: Measured, chunks: number): { rows: Row[]; notes: string[] } {
  const ok = (rs: StreamResult[]) => rs.filter((r) => r.ok);
  const ours = ok(m.ours);
  const direct = ok(m.direct);
  const all = (rs: StreamResult[], f: (r: StreamResult) => number[]) => rs.flatMap(f);
  const ttftO = ours.map((r) => r.ttftUs);
  const ttftD = direct.map((r) => r.ttftUs);
  const gapsO = all(ours, (r) => r.gapsUs);
  const gapsD = all(direct, (r) => r.gapsUs);
  const delO = all(ours, (r) => r.delaysUs);
  const delD = all(direct, (r) => r.delaysUs);
  const addedMedian = ms(median(ttftO) - median(ttftD));
  const addedP99 = ms(p99(ttftO) - p99(ttftD));
  const rows: Row[] = [
    row(`${label}: TTFT median`, ms(median(ttftO)), 'ms', { baseline: ms(median(ttftD)) }),
    row(`${label}: TTFT p99`, ms(p99(ttftO)), 'ms', { baseline: ms(p99(ttftD)) }),
    row(`${label}: added TTFT median`, addedMedian, 'ms', {
      target: '≤ 1 ms',
      met: addedMedian <= 1,
    }),
    row(`${label}: added TTFT p99`, addedP99, 'ms', { target: '≤ 5 ms', met: addedP99 <= 5 }),
    row(`${label}: request → upstream median`, ms(median(ours.map((r) => r.toUpstreamUs))), 'ms', {
      baseline: ms(median(direct.map((r) => r.toUpstreamUs))),
    }),
    row(
      `${label}: service CPU per stream (start + all chunks)`,
      m.serviceCpuMs / m.ours.length,
      'ms',
      {},
    ),
    row(`${label}: inter-chunk gap p50`, ms(median(gapsO)), 'ms', { baseline: ms(median(gapsD)) }),
    row(`${label}: inter-chunk gap p99`, ms(p99(gapsO)), 'ms', { baseline: ms(p99(gapsD)) }),
    row(`${label}: chunk delay (upstream write → client) p50`, ms(median(delO)), 'ms', {
      baseline: ms(median(delD)),
    }),
    row(`${label}: chunk delay (upstream write → client) p99`, ms(p99(delO)), 'ms', {
      baseline: ms(p99(delD)),
    }),
  ];
  const failed = m.ours.length - ours.length + (m.direct.length - direct.length);
  const short = ours.filter((r) => r.chunks !== chunks).length;
  const errors = [...m.ours, ...m.direct].filter((r) => !r.ok).map((r) => r.error);
  const notes = [
    `${label}: ${m.ours.length} streams through the service, ${m.direct.length} direct; ` +
      `${failed} failed${failed ? ` (${[...new Set(errors)].slice(0, 3).join('; ')})` : ''}, ` +
      `${short} with a chunk count other than ${chunks}; CPU during the level (% of one core): ` +
      `service ${m.cpu.service}, upstream ${m.cpu.upstream}, clients ${m.cpu.client} ` +
      `(client process per round: max ${Math.max(...m.clientCpu)}%)`,
  ];
  return { rows, notes };
}

async function main(): Promise<void> {
  const args = parseArgs();
  const levels: Level[] = args.quick
    ? [
        { n: 1, rounds: 10 },
        { n: 50, rounds: 1 },
        { n: 200, rounds: 1 },
      ]
    : [
        { n: 1, rounds: 40 },
        { n: 50, rounds: 4 },
        { n: 200, rounds: 3 },
      ];
  const memoryLevel: Level = { n: 50, rounds: args.quick ? 1 : 4 };
  const chunks = args.quick ? 20 : 30;
  const content = `chunks=${chunks} interval=${INTERVAL_MS}`;
  const profDir = args.cpuProf ? mkdtempSync(join(tmpdir(), 'bench-p2-prof-')) : undefined;
  const report: Report = {
    id: 'P2',
    title: 'Streaming overhead: SSE through the service vs straight from the upstream',
    rows: [],
    notes: [],
  };

  const upstream = await startUpstream();
  const worker = startLoadWorker();
  const db = await createDatabase('p2');
  const stops: (() => Promise<unknown>)[] = [];
  try {
    const base = { DATABASE_URL: db.url, OPENAI_BASE_URL: upstream.baseURL };
    // Production shape: PostgreSQL + Redis (stream log in Redis Streams, rate limits in Redis).
    console.log('P2: starting the service (PostgreSQL + Redis)…');
    let service = await startService(
      { ...base, REDIS_URL },
      { cpuProfDir: profDir ? join(profDir, 'redis') : undefined },
    );
    stops.push(() => service.stop());
    const users = await seedUsers(service, db.url, Math.max(...levels.map((l) => l.n)));
    console.log(
      `P2: measuring ${levels.map((l) => `${l.n}×${l.rounds}`).join(', ')} (streams × rounds)…`,
    );
    const withRedis = await measure(service, upstream, worker, users, levels, content);
    stops.pop();
    const redisProfile = await service.stop();
    for (const level of levels) {
      const { rows, notes } = rowsOf(`N=${level.n}`, withRedis.results.get(level.n)!, chunks);
      report.rows.push(...rows);
      report.notes.push(...notes);
    }
    if (redisProfile) {
      report.notes.push(
        'CPU profile of the service (with Redis), measured levels only:',
        ...describeProfile(redisProfile, ...withRedis.window),
      );
    }

    console.log('P2: starting the service without Redis (memory stream log)…');
    service = await startService(
      { ...base, REDIS_URL: undefined },
      { cpuProfDir: profDir ? join(profDir, 'memory') : undefined },
    );
    stops.push(() => service.stop());
    const memory = await measure(service, upstream, worker, users, [memoryLevel], content);
    stops.pop();
    const memoryProfile = await service.stop();
    const { rows, notes } = rowsOf(
      `N=${memoryLevel.n}, no Redis`,
      memory.results.get(memoryLevel.n)!,
      chunks,
    );
    report.rows.push(...rows);
    report.notes.push(...notes);
    if (memoryProfile) {
      report.notes.push(
        'CPU profile of the service (no Redis), measured level only:',
        ...describeProfile(memoryProfile, ...memory.window),
      );
    }
    report.notes.push(
      `Upstream: ${chunks} content chunks per stream, one every ${INTERVAL_MS} ms, the first ${INTERVAL_MS} ms after the request is read; ` +
        'TTFT = request sent → first content chunk at the client; baseline = the same streams straight from the upstream; ' +
        'added TTFT = ours − direct (median vs median, p99 vs p99). "request → upstream" = until the upstream read the request ' +
        '(for the service: auth, rate limit, quota reservation, message rows, then the SDK call). Chunk delay = client arrival − ' +
        'upstream write, on the machine monotonic clock shared by the three processes.',
      'Service: its own process (compiled with tsc, node src/main.js, NODE_ENV=production, LOG_LEVEL=warn), DB_POOL_SIZE default (10); rate limits and ' +
        'quotas raised (RATE_LIMIT_*=1e6, QUOTA_NORMAL_*=1e9+) so they do not interfere; fresh conversation per stream; ' +
        `users: one registered over the API, ${users.length - 1} copied in SQL with sessions and signed tokens.`,
      `Machine: ${cpus().length} cores shared with other work (load average at the end: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(', ')}); quote medians and ratios, not absolute times.`,
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
