import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, createConversation, inParallel, register, send } from './lib/client';
import { load, LoadResult } from './lib/load';
import { PgRoundTripCounter } from './lib/pg-counter';
import { formatSummary, summarizeProfile } from './lib/profile';
import { BenchReport, finish, log, median, parseArgs, row } from './lib/report';
import {
  Child,
  createDatabase,
  JWT_SECRET,
  REDIS_URL,
  startHelper,
  startService,
} from './lib/service';
import { cpuMs, cpuTreeMs } from './support/stream/processes';
import { seedTree } from './lib/tree-seed';

/**
 * P4 — send: non-streamed POST /conversations/{id}/messages with an upstream that answers at
 * once, spread over many users and conversations. Sends/s with autocannon; database round
 * trips per send counted by a PostgreSQL wire-protocol proxy (each Sync or simple Query is
 * one round trip), with the statements of one send listed; a CPU profile of the service
 * under the same load. Beside it (issue 12): the same sends on the floor
 * (bench/baseline/floor-server.ts: node:http, no database), and CPU per send on both.
 */
const args = parseArgs();
const DURATION = args.quick ? 3 : 10;
const WARMUP = args.quick ? 1 : 3;
const REPS = args.quick ? 1 : 3;
const USERS = args.quick ? 10 : 20;
const CONVERSATIONS_PER_USER = 10;
const COUNT_N = args.quick ? 20 : 100;
const CONNECTIONS = 10;
/** Sequential sends into each of the two conversations of the tree comparison (issue 15). */
const TREE_N = args.quick ? 20 : 100;

interface Target {
  token: string;
  conversationId: string;
}

function sendLoad(base: string, targets: Target[], duration: number): Promise<LoadResult> {
  let next = 0;
  return load({
    url: base,
    duration,
    connections: CONNECTIONS,
    requests: [
      {
        method: 'POST',
        setupRequest: (req) => {
          const t = targets[next++ % targets.length];
          return {
            ...req,
            method: 'POST',
            path: `/api/v1/conversations/${t.conversationId}/messages`,
            headers: { 'content-type': 'application/json', authorization: `Bearer ${t.token}` },
            body: JSON.stringify({ content: 'Hello there, what is new?' }),
          };
        },
      },
    ],
  });
}

async function main(): Promise<void> {
  const db = await createDatabase('p4');
  const children: Child[] = [];
  const profileDir = mkdtempSync(join(tmpdir(), 'chat-bench-p4-prof-'));
  const notes: string[] = [];
  try {
    const upstream = await startHelper('bench/baseline/instant-upstream.ts', {});
    children.push(upstream);
    const llm = {
      LLM_PROVIDER: 'openai',
      OPENAI_API_KEY: 'bench-key',
      OPENAI_BASE_URL: `${upstream.url}/v1`,
    };
    const app = await startService({ DATABASE_URL: db.url, ...llm });
    children.push(app);

    log(`seeding: ${USERS} users × ${CONVERSATIONS_PER_USER} conversations`);
    const targets: Target[] = [];
    await inParallel(
      Array.from({ length: USERS }, (_, i) => i),
      4,
      async (i) => {
        const user = await register(app.url, `bench_p4_${i}`);
        for (let c = 0; c < CONVERSATIONS_PER_USER; c++) {
          targets.push({
            token: user.token,
            conversationId: await createConversation(app.url, user.token, `c${c}`),
          });
        }
      },
    );
    // Interleave users so consecutive requests hit different users and conversations.
    targets.sort((a, b) => a.conversationId.localeCompare(b.conversationId));

    // The floor (issue 12): the same sends, tokens and conversation ids on node:http with the
    // conversations in memory, streaming from the same upstream.
    const floor = await startHelper('bench/baseline/floor-server.ts', {
      JWT_SECRET,
      UPSTREAM_URL: `${upstream.url}/v1`,
    });
    children.push(floor);

    await sendLoad(app.url, targets, WARMUP);
    await sendLoad(floor.url, targets, WARMUP);
    const runs: LoadResult[] = [];
    const floorRuns: LoadResult[] = [];
    const cpuPerSend: Record<'app' | 'floor', number[]> = { app: [], floor: [] };
    for (let rep = 0; rep < REPS; rep++) {
      // Alternate which side goes first so drift on a shared machine hits both alike.
      const order = rep % 2 === 0 ? (['app', 'floor'] as const) : (['floor', 'app'] as const);
      for (const side of order) {
        const server = side === 'app' ? app : floor;
        const cpuBefore = cpuMs(server.child.pid!);
        const r = await sendLoad(server.url, targets, DURATION);
        cpuPerSend[side].push((cpuMs(server.child.pid!) - cpuBefore) / Math.max(1, r.ok));
        log(
          `send rep ${rep + 1} (${side === 'app' ? 'service' : 'floor'}): ${r.rps.toFixed(0)} sends/s p50 ${r.p50} ms p99 ${r.p99} ms (${r.failed} failed)`,
        );
        if (r.failed > 0)
          notes.push(
            `rep ${rep + 1} (${side === 'app' ? 'service' : 'floor'}): ${r.failed} sends failed (non-2xx or errors)`,
          );
        (side === 'app' ? runs : floorRuns).push(r);
      }
    }
    // Issue 15: a send into a 1,000-message conversation of 10 branches beside one into a
    // 10-message conversation, one after the other, alternating, by the same user.
    const token = targets[0].token;
    const small = await createConversation(app.url, token, 'ten messages');
    const big = await createConversation(app.url, token, 'a thousand messages');
    await seedTree(db.url, small, { trunk: 10, branches: 0, perBranch: 0 });
    const seeded = await seedTree(db.url, big, { trunk: 10, branches: 10, perBranch: 99 });
    const treeMs = { small: [] as number[], big: [] as number[] };
    for (let i = 0; i < TREE_N + 2; i++) {
      for (const side of ['small', 'big'] as const) {
        const started = performance.now();
        await send(app.url, token, side === 'small' ? small : big, 'Which branch am I on?');
        if (i >= 2) treeMs[side].push(performance.now() - started); // two warm-up sends each
      }
    }
    await app.stop();
    children.splice(children.indexOf(app), 1);
    await floor.stop();
    children.splice(children.indexOf(floor), 1);

    // Per process and per machine (issue 12): with Redis (more than one worker needs it), one
    // process beside CLUSTER_WORKERS=2 (a worker per core), alternating.
    const shapes = [
      { label: '1 process', env: {} },
      { label: 'CLUSTER_WORKERS=2', env: { CLUSTER_WORKERS: '2' } },
    ];
    const machine = shapes.map(() => ({
      rps: [] as number[],
      cpu: [] as number[],
      p99: [] as number[],
    }));
    for (let rep = 0; rep < REPS; rep++) {
      for (const [i, shape] of shapes.entries()) {
        const service = await startService({
          DATABASE_URL: db.url,
          REDIS_URL,
          ...llm,
          ...shape.env,
        });
        children.push(service);
        await sendLoad(service.url, targets, WARMUP);
        const cpuBefore = cpuTreeMs(service.child.pid!);
        const r = await sendLoad(service.url, targets, DURATION);
        machine[i].cpu.push((cpuTreeMs(service.child.pid!) - cpuBefore) / Math.max(1, r.ok));
        machine[i].rps.push(r.rps);
        machine[i].p99.push(r.p99);
        log(
          `send rep ${rep + 1} (${shape.label}, Redis): ${r.rps.toFixed(0)} sends/s (${r.failed} failed)`,
        );
        if (r.failed > 0) notes.push(`${shape.label} rep ${rep + 1}: ${r.failed} sends failed`);
        await service.stop();
        children.splice(children.indexOf(service), 1);
      }
    }

    // Second run of the service, through the counting proxy and under the CPU profiler.
    const counter = new PgRoundTripCounter({
      host: new URL(db.url).hostname,
      port: Number(new URL(db.url).port || 5432),
    });
    const proxyPort = await counter.start();
    const viaProxy = new URL(db.url);
    viaProxy.port = String(proxyPort);
    const profiled = await startService({ DATABASE_URL: viaProxy.toString(), ...llm }, [
      '--cpu-prof',
      `--cpu-prof-dir=${profileDir}`,
    ]);
    children.push(profiled);
    const settle = () => new Promise((r) => setTimeout(r, 150));
    // Steady state: every user's session is in the service's session cache, as it is for a
    // user who keeps sending (an uncached request adds the session read).
    for (const t of targets) await call(profiled.url, 'GET', '/users/me', undefined, t.token);
    const perRequest = async (fn: (i: number) => Promise<void>): Promise<number> => {
      await fn(0); // warm
      await settle();
      counter.reset();
      for (let i = 1; i <= COUNT_N; i++) await fn(i);
      await settle();
      return counter.roundTrips / COUNT_N;
    };
    const sendRt = await perRequest((i) =>
      send(
        profiled.url,
        targets[i % targets.length].token,
        targets[i % targets.length].conversationId,
        'Count me',
      ),
    );
    const listRt = await perRequest(async () => {
      await call(profiled.url, 'GET', '/conversations?page=1&size=20', undefined, targets[0].token);
    });
    const meRt = await perRequest(async () => {
      await call(profiled.url, 'GET', '/users/me', undefined, targets[0].token);
    });
    counter.reset();
    counter.capture = true;
    await send(
      profiled.url,
      targets[1].token,
      targets[1].conversationId,
      'Show me your statements',
    );
    await settle();
    counter.capture = false;
    const statements = [...counter.captured];
    const loadStarted = Date.now();
    await sendLoad(profiled.url, targets, DURATION);
    await profiled.stop();
    const profiledMs = Date.now() - loadStarted;
    children.splice(children.indexOf(profiled), 1);
    await counter.stop();

    const sendsPerSecond = median(runs.map((r) => r.rps));
    const rows = [
      row('non-stream sends/s', sendsPerSecond, 'sends/s', {
        baseline: median(floorRuns.map((r) => r.rps)),
        target: '≥ 1,000/s',
        met: sendsPerSecond >= 1000,
      }),
      row('send p50', median(runs.map((r) => r.p50)), 'ms', {
        baseline: median(floorRuns.map((r) => r.p50)),
      }),
      row('send p99', median(runs.map((r) => r.p99)), 'ms', {
        baseline: median(floorRuns.map((r) => r.p99)),
      }),
      row('service CPU per send (start + reply)', median(cpuPerSend.app), 'ms', {
        baseline: median(cpuPerSend.floor),
      }),
      row(
        'sends/s with Redis, CLUSTER_WORKERS=2 vs 1 process (per machine)',
        median(machine[1].rps),
        'sends/s',
        { baseline: median(machine[0].rps) },
      ),
      row(
        'service CPU per send with Redis, CLUSTER_WORKERS=2 vs 1 process',
        median(machine[1].cpu),
        'ms',
        { baseline: median(machine[0].cpu) },
      ),
      row('send p99 with Redis, CLUSTER_WORKERS=2 vs 1 process', median(machine[1].p99), 'ms', {
        baseline: median(machine[0].p99),
      }),
      row('DB round trips per send', sendRt, 'round trips', { target: '≤ 3', met: sendRt <= 3 }),
      row(
        `send latency p50: into ${seeded.messages} messages in 10 branches vs into 10 (issue 15)`,
        median(treeMs.big),
        'ms',
        { baseline: median(treeMs.small) },
      ),
      row('DB round trips per GET /conversations', listRt, 'round trips'),
      row('DB round trips per GET /users/me', meRt, 'round trips'),
    ];
    notes.push(
      `autocannon, ${CONNECTIONS} connections, ${DURATION} s per run after a ${WARMUP} s warm-up, ${REPS} run(s) per side, median; service and floor runs alternate; each request goes to the next of ${targets.length} conversations of ${USERS} users; the upstream (bench/baseline/instant-upstream.ts, own process) answers at once.`,
      'Baseline: the floor (bench/baseline/floor-server.ts, own process): node:http, no database or Redis, conversations in memory; it checks the token (HS256 with node:crypto), sends the upstream the body the service sends (the history, then the new message; stream: true) and answers 201 with the same envelope. CPU per send = process CPU over a run / 2xx answers.',
      `Round trips: a wire-protocol proxy between the service and PostgreSQL counts Sync and simple Query messages over ${COUNT_N} sequential requests (after one warm-up request, with every user's session already checked once: the session cache's steady state; an uncached request adds one), divided by ${COUNT_N}.`,
      `Per machine: the service with Redis as one process and with CLUSTER_WORKERS=2 (node:cluster, a worker per core), started fresh for each run, ${REPS} run(s) each, alternating; CPU = the process and its workers over the run / 2xx answers. The machine's 2 cores also run PostgreSQL, Redis, the upstream and the load generator.`,
      `Tree cost (issue 15): ${TREE_N} sequential sends into each of two conversations of one user, alternating, after two warm-up sends each — one of 10 messages, one of ${seeded.messages} (a trunk of 10, then 10 branches of 99; the last is current: the model's context is the 109-message branch, growing by 2 per send; the context read is capped at 200 messages) — median latency; the service as above (PostgreSQL, no Redis).`,
      `Statements of one send (${statements.length}, in order): ${statements.map((s, i) => `(${i + 1}) ${s.slice(0, 110)}`).join(' | ')}`,
    );
    try {
      notes.push(...formatSummary(summarizeProfile(profileDir, 12, profiledMs)));
    } catch (error) {
      notes.push(`CPU profile not available: ${String(error)}`);
    }
    const report: BenchReport = {
      id: 'P4',
      title: 'Sending a message (instant upstream)',
      rows,
      notes,
    };
    finish(report, args);
  } finally {
    for (const c of children.reverse()) await c.stop();
    await db.drop();
    if (!process.env.BENCH_KEEP_PROFILES) rmSync(profileDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
