/**
 * P2 — streaming overhead (issue 6). A local OpenAI-compatible upstream (its own process)
 * streams a chunk every 10 ms, each stamped with its write time; N concurrent streams go
 * through POST /api/v1/conversations/{id}/messages/stream (SSE) of the service (its own
 * process, PostgreSQL + Redis) and, as the baseline, the same N straight from the upstream,
 * from a load process of their own. Per stream: time to first token (request sent → first
 * content) and the gaps between chunks; per chunk: arrival − upstream write. Beside them
 * (issue 12): the same streams through bench/baseline/floor-server.ts (the floor: node:http,
 * no database) and through the Portkey AI gateway (installed on demand outside the repo; in
 * quick mode only when already installed).
 *
 *   npx ts-node --transpile-only bench/p2-streaming.ts [--quick] [--json out.json] [--cpu-prof]
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  installPortkey,
  Portkey,
  PORTKEY_DIR,
  portkeyInstalled,
  startPortkey,
} from './support/peers/portkey';
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
  startFloor,
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

/**
 * Where a target's streams go: the service's SSE, the floor, the upstream itself, through
 * Portkey, or through the service's OpenAI-compatible endpoint (the upstream's own request).
 */
type Target = 'ours' | 'floor' | 'direct' | 'portkey' | 'compat';

interface Peers {
  /** Measure the service's OpenAI-compatible endpoint too. */
  compat?: boolean;
  floor?: { url: string; pid: number };
  portkey?: Portkey;
}

interface Measured {
  streams: Record<Target, StreamResult[]>;
  cpu: Record<string, number>;
  clientCpu: number[];
  /** CPU time (ms) of the process serving each target, over its own rounds (not the upstream's). */
  cpuMs: Partial<Record<Target, number>>;
}

/** Added TTFT targets of issue 12 (ms), by level; N=1 has no p99 target. */
const TARGETS: Record<number, { median?: number; p99?: number }> = {
  1: { median: 3 },
  50: { median: 25, p99: 100 },
  200: { median: 100, p99: 1000 },
};

async function round(
  worker: LoadWorker,
  target: Target,
  url: string,
  streams: { token?: string; conversationId?: string }[],
  content: string,
  headers?: Record<string, string>,
): Promise<{ streams: StreamResult[]; clientCpuPct: number }> {
  return worker.run({ kind: 'sse', target, url, headers, streams, content, timeoutMs: 60_000 });
}

/**
 * Runs the levels against one service instance and the peers; conversations are fresh for
 * every stream. Each round sends N streams to every target, one target after the other, the
 * order rotating from round to round so drift in the machine's load hits all alike.
 */
async function measure(
  service: Service,
  upstream: Upstream,
  worker: LoadWorker,
  users: BenchUser[],
  levels: Level[],
  content: string,
  peers: Peers,
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
  // The floor keeps conversations in memory: any new id is a new, empty conversation.
  const floorStreams = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      token: users[i % users.length].token,
      conversationId: randomUUID(),
    }));
  const direct = (n: number) => Array.from({ length: n }, () => ({}));
  // The OpenAI-compatible endpoint stores nothing: the user's token is all a stream needs.
  const compat = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ token: users[i % users.length].token }));
  const targets: Target[] = ['direct', 'ours'];
  if (peers.compat) targets.push('compat');
  if (peers.floor) targets.push('floor');
  if (peers.portkey) targets.push('portkey');
  const portkeyHeaders = peers.portkey?.headers(upstream.baseURL);
  const run = (target: Target, n: number) => {
    switch (target) {
      case 'ours':
        return round(worker, 'ours', service.url, take(n), content);
      case 'floor':
        return round(worker, 'floor', peers.floor!.url, floorStreams(n), content);
      case 'direct':
        return round(worker, 'direct', upstream.baseURL, direct(n), content);
      case 'portkey':
        return round(worker, 'portkey', peers.portkey!.baseURL, direct(n), content, portkeyHeaders);
      case 'compat':
        return round(worker, 'compat', service.url, compat(n), content);
    }
  };
  const pidOf: Partial<Record<Target, number>> = {
    ours: service.pid,
    compat: service.pid,
    floor: peers.floor?.pid,
    portkey: peers.portkey?.pid,
  };

  // Warm-up: JIT, connection pools, prepared statements, on every path.
  for (const target of targets) await run(target, warmup);

  const results = new Map<number, Measured>();
  const from = nowUs();
  for (const level of levels) {
    const m: Measured = {
      streams: { ours: [], floor: [], direct: [], portkey: [], compat: [] },
      cpu: {},
      clientCpu: [],
      cpuMs: {},
    };
    const meter = cpuMeter({ service: service.pid, upstream: upstream.pid, client: worker.pid });
    for (let r = 0; r < level.rounds; r++) {
      const order = targets.map((_, i) => targets[(i + r) % targets.length]);
      for (const target of order) {
        const pid = pidOf[target];
        const cpuBefore = pid === undefined ? 0 : cpuMs(pid);
        const res = await run(target, level.n);
        if (pid !== undefined) m.cpuMs[target] = (m.cpuMs[target] ?? 0) + cpuMs(pid) - cpuBefore;
        m.streams[target].push(...res.streams);
        m.clientCpu.push(res.clientCpuPct);
      }
    }
    m.cpu = meter();
    results.set(level.n, m);
  }
  return { results, window: [from, nowUs()] };
}

const ok = (rs: StreamResult[]) => rs.filter((r) => r.ok);

function failureNote(name: string, rs: StreamResult[], chunks: number): string {
  const good = ok(rs);
  const errors = [...new Set(rs.filter((r) => !r.ok).map((r) => r.error))].slice(0, 3);
  const short = good.filter((r) => r.chunks !== chunks).length;
  return (
    `${name} ${rs.length} (${rs.length - good.length} failed${errors.length ? `: ${errors.join('; ')}` : ''}` +
    `${short ? `, ${short} with a chunk count other than ${chunks}` : ''})`
  );
}

function rowsOf(
  label: string,
  n: number,
  m: Measured,
  chunks: number,
): { rows: Row[]; notes: string[] } {
  const ours = ok(m.streams.ours);
  const direct = ok(m.streams.direct);
  const all = (rs: StreamResult[], f: (r: StreamResult) => number[]) => rs.flatMap(f);
  const ttft = (rs: StreamResult[]) => ok(rs).map((r) => r.ttftUs);
  const ttftO = ttft(m.streams.ours);
  const ttftD = ttft(m.streams.direct);
  const gapsO = all(ours, (r) => r.gapsUs);
  const gapsD = all(direct, (r) => r.gapsUs);
  const delO = all(ours, (r) => r.delaysUs);
  const delD = all(direct, (r) => r.delaysUs);
  const added = (rs: StreamResult[]) => {
    const t = ttft(rs);
    return t.length && ttftD.length
      ? { median: ms(median(t) - median(ttftD)), p99: ms(p99(t) - p99(ttftD)) }
      : { median: NaN, p99: NaN };
  };
  const target = TARGETS[n] ?? {};
  const ourAdded = added(m.streams.ours);
  const perStream = (t: Target) =>
    m.cpuMs[t] === undefined || m.streams[t].length === 0 ? NaN : m.cpuMs[t] / m.streams[t].length;
  const rows: Row[] = [
    row(`${label}: TTFT median`, ms(median(ttftO)), 'ms', { baseline: ms(median(ttftD)) }),
    row(`${label}: TTFT p99`, ms(p99(ttftO)), 'ms', { baseline: ms(p99(ttftD)) }),
    row(
      `${label}: added TTFT median`,
      ourAdded.median,
      'ms',
      target.median === undefined
        ? {}
        : { target: `≤ ${target.median} ms`, met: ourAdded.median <= target.median },
    ),
    row(
      `${label}: added TTFT p99`,
      ourAdded.p99,
      'ms',
      target.p99 === undefined
        ? {}
        : { target: `≤ ${target.p99.toLocaleString('en')} ms`, met: ourAdded.p99 <= target.p99 },
    ),
  ];
  for (const [peer, name] of [
    ['compat', 'OpenAI-compatible endpoint'],
    ['floor', 'floor'],
    ['portkey', 'Portkey'],
  ] as const) {
    if (m.streams[peer].length === 0) continue;
    const a = added(m.streams[peer]);
    rows.push(
      row(`${label}: ${name} added TTFT median`, a.median, 'ms'),
      row(`${label}: ${name} added TTFT p99`, a.p99, 'ms'),
    );
  }
  rows.push(
    row(`${label}: request → upstream median`, ms(median(ours.map((r) => r.toUpstreamUs))), 'ms', {
      baseline: ms(median(direct.map((r) => r.toUpstreamUs))),
    }),
    row(`${label}: service CPU per stream (start + all chunks)`, perStream('ours'), 'ms', {
      baseline: m.streams.floor.length ? perStream('floor') : null,
    }),
    row(
      `${label}: service CPU per delivered chunk (incl. starts)`,
      ((m.cpuMs.ours ?? NaN) * 1000) / Math.max(1, delO.length),
      'µs',
      {
        baseline: m.streams.floor.length
          ? ((m.cpuMs.floor ?? NaN) * 1000) /
            Math.max(1, all(ok(m.streams.floor), (r) => r.delaysUs).length)
          : null,
      },
    ),
  );
  if (m.streams.compat.length) {
    rows.push(
      row(
        `${label}: service CPU per stream, OpenAI-compatible endpoint`,
        perStream('compat'),
        'ms',
        {
          baseline: perStream('ours'),
        },
      ),
    );
  }
  if (m.streams.portkey.length)
    rows.push(row(`${label}: Portkey CPU per stream`, perStream('portkey'), 'ms'));
  rows.push(
    row(`${label}: inter-chunk gap p50`, ms(median(gapsO)), 'ms', { baseline: ms(median(gapsD)) }),
    row(`${label}: inter-chunk gap p99`, ms(p99(gapsO)), 'ms', { baseline: ms(p99(gapsD)) }),
    row(`${label}: chunk delay (upstream write → client) p50`, ms(median(delO)), 'ms', {
      baseline: ms(median(delD)),
    }),
    row(`${label}: chunk delay (upstream write → client) p99`, ms(p99(delO)), 'ms', {
      baseline: ms(p99(delD)),
    }),
  );
  const counted = (['ours', 'compat', 'direct', 'floor', 'portkey'] as const)
    .filter((t) => m.streams[t].length > 0)
    .map((t) =>
      failureNote(
        {
          ours: 'service',
          compat: 'OpenAI-compatible endpoint',
          direct: 'direct',
          floor: 'floor',
          portkey: 'Portkey',
        }[t],
        m.streams[t],
        chunks,
      ),
    );
  const notes = [
    `${label}: streams — ${counted.join(', ')}; CPU during the level (% of one core): ` +
      `service ${m.cpu.service}, upstream ${m.cpu.upstream}, clients ${m.cpu.client} ` +
      `(client process per round: max ${Math.max(...m.clientCpu)}%)`,
  ];
  return { rows, notes };
}

/**
 * Starts Portkey as a peer when it can: in quick mode only if already installed (CI must not
 * depend on it), in full mode after installing it. A stream is sent through it first; when it
 * cannot stream, the notes say why and nothing of it is measured.
 */
async function startPortkeyPeer(
  worker: LoadWorker,
  upstream: Upstream,
  quick: boolean,
  peers: Peers,
  stops: (() => Promise<unknown>)[],
): Promise<string[]> {
  if (quick && !portkeyInstalled()) {
    return [
      `Portkey: skipped — quick mode does not install it (CI must not depend on it) and it is not installed in ${PORTKEY_DIR}; ` +
        'a full run installs it there, after which quick runs measure it too.',
    ];
  }
  try {
    installPortkey();
    const portkey = await startPortkey();
    stops.push(() => portkey.stop());
    const probe = await worker.run<{ streams: StreamResult[] }>({
      kind: 'sse',
      target: 'portkey',
      url: portkey.baseURL,
      headers: portkey.headers(upstream.baseURL),
      streams: [{}],
      content: `chunks=3 interval=${INTERVAL_MS}`,
      timeoutMs: 15_000,
    });
    const s = probe.streams[0];
    if (!s.ok || s.chunks !== 3) {
      throw new Error(
        `a probe stream through it to the upstream failed: ${s.error ?? `${s.chunks} content chunks of 3`}`,
      );
    }
    peers.portkey = portkey;
    return [
      `Portkey: ${portkey.note}; routed to the same upstream with x-portkey-provider: openai and x-portkey-custom-host ` +
        '(TRUSTED_CUSTOM_HOSTS=127.0.0.1: it refuses a custom host on a private address otherwise); the clients send it the direct ' +
        "streams' OpenAI request. Its stream reader waits a fixed 25 ms before it passes on the first event of every stream (here the " +
        `role-only chunk the upstream writes at once), so the first content chunk, written by the upstream ${INTERVAL_MS} ms later, ` +
        `cannot leave it before ~25 ms: about ${25 - INTERVAL_MS} ms of its added TTFT is that wait, by design, not load. ` +
        'Portkey CPU per stream = its process CPU over its own rounds.',
    ];
  } catch (error) {
    return [`Portkey: not measured — ${error instanceof Error ? error.message : String(error)}`];
  }
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
    title:
      'Streaming overhead: SSE through the service vs straight from the upstream, the floor and Portkey',
    rows: [],
    notes: [],
  };

  const upstream = await startUpstream();
  const worker = startLoadWorker();
  const db = await createDatabase('p2');
  const stops: (() => Promise<unknown>)[] = [];
  try {
    const peers: Peers = { compat: true };
    const floor = await startFloor(upstream.baseURL);
    stops.push(() => floor.stop());
    peers.floor = floor;
    const portkeyNotes = await startPortkeyPeer(worker, upstream, args.quick, peers, stops);
    const base = { DATABASE_URL: db.url, OPENAI_BASE_URL: upstream.baseURL };
    // Production shape: PostgreSQL + Redis (stream log in Redis Streams, rate limits in Redis).
    console.log('P2: starting the service (PostgreSQL + Redis)…');
    let service = await startService(
      { ...base, REDIS_URL },
      { cpuProfDir: profDir ? join(profDir, 'redis') : undefined },
    );
    stops.push(() => service.stop());
    const users = await seedUsers(service, db.url, Math.max(...levels.map((l) => l.n)));
    // The OpenAI-compatible endpoint (issue 16) is measured when the service has it (an A/B run
    // against an older build has not).
    const probe = await worker.run<{ streams: StreamResult[] }>({
      kind: 'sse',
      target: 'compat',
      url: service.url,
      streams: [{ token: users[0].token }],
      content: `chunks=3 interval=${INTERVAL_MS}`,
      timeoutMs: 15_000,
    });
    if (process.env.BENCH_P2_NO_COMPAT) {
      // Like for like with a build that has no such endpoint (A/B runs).
      peers.compat = false;
      report.notes.push('OpenAI-compatible endpoint: not measured (BENCH_P2_NO_COMPAT).');
    } else if (!probe.streams[0].ok) {
      peers.compat = false;
      report.notes.push(
        `OpenAI-compatible endpoint: not measured — a probe stream failed (${probe.streams[0].error ?? 'no content'}).`,
      );
    }
    console.log(
      `P2: measuring ${levels.map((l) => `${l.n}×${l.rounds}`).join(', ')} (streams × rounds)…`,
    );
    const withRedis = await measure(service, upstream, worker, users, levels, content, peers);
    stops.pop();
    const redisProfile = await service.stop();
    for (const level of levels) {
      const { rows, notes } = rowsOf(
        `N=${level.n}`,
        level.n,
        withRedis.results.get(level.n)!,
        chunks,
      );
      report.rows.push(...rows);
      report.notes.push(...notes);
    }
    report.notes.push(
      'Floor: bench/baseline/floor-server.ts, its own process — node:http, no database or Redis; it checks the token (HS256 with node:crypto), ' +
        'sends the upstream the body the service sends (stream: true) and writes the same start, content… and end events. Its added TTFT is ' +
        "this machine's floor for one more process between client and upstream; the service's CPU per stream and per chunk have the floor's as baseline.",
      "OpenAI-compatible endpoint rows: the direct streams' OpenAI request (plus max_tokens as the SSE sends ask) sent to the service's " +
        "POST /api/v1/openai/chat/completions with the user's access token — auth, the messages rate limit, the quota reserved and settled, " +
        "nothing stored; its added TTFT is against the same direct streams, its CPU per stream has the SSE endpoint's as baseline.",
      ...portkeyNotes,
      'Targets (issue 12): added TTFT of the service ≤ 3 ms median at N=1, ≤ 25 / ≤ 100 ms median / p99 at N=50, ≤ 100 / ≤ 1,000 ms at N=200; ' +
        'floor and Portkey rows inform.',
    );
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
    const memory = await measure(service, upstream, worker, users, [memoryLevel], content, {});
    stops.pop();
    const memoryProfile = await service.stop();
    const { rows, notes } = rowsOf(
      `N=${memoryLevel.n}, no Redis`,
      memoryLevel.n,
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
