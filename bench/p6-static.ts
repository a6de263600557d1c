import { load, LoadResult } from './lib/load';
import { BenchReport, finish, log, median, parseArgs, row } from './lib/report';
import { Child, createDatabase, JWT_SECRET, startHelper, startService } from './lib/service';
import { cpuMs } from './support/stream/processes';

/**
 * P6 — a static route (issue 12): GET /api/v1/info, which reads nothing, on the service (its
 * own process, compiled JS, PostgreSQL + Redis as in the other pieces) beside bare NestJS on
 * Express answering the same JSON (bench/baseline/bare-nest.ts) and beside the floor
 * (bench/baseline/floor-server.ts, node:http). What the service costs above bare Nest on a
 * route with no work of its own is what its stack around every request costs (middleware,
 * guards, interceptors, logging, metrics).
 *
 *   npx ts-node --transpile-only bench/p6-static.ts [--quick] [--json out.json]
 */
const args = parseArgs();
const DURATION = args.quick ? 3 : 10;
const WARMUP = args.quick ? 1 : 3;
const REPS = args.quick ? 1 : 3;
const CONNECTIONS = 10;
const PATH = '/api/v1/info';

type Side = 'service' | 'nest' | 'floor';
const NAMES: Record<Side, string> = { service: 'service', nest: 'bare NestJS', floor: 'floor' };

async function main(): Promise<void> {
  const db = await createDatabase('p6');
  const children: Child[] = [];
  const notes: string[] = [];
  try {
    const app = await startService({ DATABASE_URL: db.url });
    children.push(app);
    // Both baselines answer with the service's own /info, byte for byte.
    const infoRes = await fetch(app.url + PATH);
    const info = await infoRes.text();
    if (infoRes.status !== 200) throw new Error(`the service's /info answered ${infoRes.status}`);
    const nest = await startHelper('bench/baseline/bare-nest.ts', {
      INFO_JSON: info,
      NODE_ENV: 'production',
    });
    children.push(nest);
    const floor = await startHelper('bench/baseline/floor-server.ts', {
      INFO_JSON: info,
      JWT_SECRET,
    });
    children.push(floor);
    const servers: Record<Side, Child> = { service: app, nest, floor };
    for (const side of ['nest', 'floor'] as const) {
      const res = await fetch(servers[side].url + PATH);
      const body = await res.text();
      if (res.status !== 200 || body !== info) {
        throw new Error(`${NAMES[side]} answered ${res.status} ${body}, the service ${info}`);
      }
    }
    notes.push(
      `The three servers answered GET ${PATH} with the same ${Buffer.byteLength(info)} bytes of JSON before timing (the service's, passed to the baselines).`,
    );

    const sides: Side[] = ['service', 'nest', 'floor'];
    for (const side of sides) {
      await load({ url: servers[side].url + PATH, duration: WARMUP, connections: CONNECTIONS });
    }
    const runs: Record<Side, LoadResult[]> = { service: [], nest: [], floor: [] };
    const cpuPerRequest: Record<Side, number[]> = { service: [], nest: [], floor: [] };
    /** The load generator's own CPU (this process), % of one core: near 100 it is the limit. */
    const clientCpu: Record<Side, number[]> = { service: [], nest: [], floor: [] };
    for (let rep = 0; rep < REPS; rep++) {
      // Rotate which side goes first so drift on a shared machine hits all alike.
      for (const side of sides.map((_, i) => sides[(i + rep) % sides.length])) {
        const pid = servers[side].child.pid!;
        const before = cpuMs(pid);
        const client = process.cpuUsage();
        const started = Date.now();
        const r = await load({
          url: servers[side].url + PATH,
          duration: DURATION,
          connections: CONNECTIONS,
        });
        cpuPerRequest[side].push(((cpuMs(pid) - before) * 1000) / Math.max(1, r.ok));
        const used = process.cpuUsage(client);
        clientCpu[side].push((used.user + used.system) / 10 / Math.max(1, Date.now() - started));
        if (r.failed > 0) notes.push(`${NAMES[side]} rep ${rep + 1}: ${r.failed} non-2xx/errors`);
        log(
          `${NAMES[side]} rep ${rep + 1}: ${r.rps.toFixed(0)} req/s p50 ${r.p50} ms p99 ${r.p99} ms`,
        );
        runs[side].push(r);
      }
    }

    const med = (side: Side, f: (r: LoadResult) => number) => median(runs[side].map(f));
    const rps = (side: Side) => med(side, (r) => r.rps);
    const ratio = rps('service') / rps('nest');
    const rows = [
      row(`GET ${PATH} req/s, service vs bare NestJS`, rps('service'), 'req/s', {
        baseline: rps('nest'),
        target: '≥ 0.8× bare NestJS',
        met: ratio >= 0.8,
      }),
      row(`GET ${PATH} req/s, service vs floor`, rps('service'), 'req/s', {
        baseline: rps('floor'),
      }),
      row(`GET ${PATH} req/s, bare NestJS vs floor`, rps('nest'), 'req/s', {
        baseline: rps('floor'),
      }),
      row(
        `GET ${PATH} p50, service vs bare NestJS`,
        med('service', (r) => r.p50),
        'ms',
        { baseline: med('nest', (r) => r.p50) },
      ),
      row(
        `GET ${PATH} p99, service vs bare NestJS`,
        med('service', (r) => r.p99),
        'ms',
        { baseline: med('nest', (r) => r.p99) },
      ),
      row(
        `GET ${PATH} p50, floor`,
        med('floor', (r) => r.p50),
        'ms',
      ),
      row(
        `GET ${PATH} p99, floor`,
        med('floor', (r) => r.p99),
        'ms',
      ),
      row(`CPU per request, service vs bare NestJS`, median(cpuPerRequest.service), 'µs', {
        baseline: median(cpuPerRequest.nest),
      }),
      row(`CPU per request, floor`, median(cpuPerRequest.floor), 'µs'),
    ];
    notes.push(
      `autocannon, ${CONNECTIONS} connections, ${DURATION} s per run after a ${WARMUP} s warm-up, ${REPS} run(s) per side, median shown; the three sides take turns going first.`,
      'Bare NestJS: bench/baseline/bare-nest.ts, its own process — the NestJS and @nestjs/platform-express the service uses, one module, one controller returning the JSON (given to it by DI), the same global prefix, no guards, pipes, interceptors, filters, middleware, logging or metrics. Floor: bench/baseline/floor-server.ts — node:http writing the same bytes.',
      'CPU per request = process CPU over a run (user + system, from /proc in 10 ms ticks) / 2xx answers.',
      `Load generator (autocannon, in the bench process on the same 2 cores) CPU during the runs, % of one core: ${sides
        .map((side) => `${NAMES[side]} ${Math.round(median(clientCpu[side]))}`)
        .join(', ')} — where it nears 100 the figure is the client's limit, not the server's.`,
      'Service: compiled (tsc), its own process, NODE_ENV=production, LOG_LEVEL=warn, PostgreSQL + Redis; /info is @Public and @SkipThrottle (no token check, no rate-limit count). Bare NestJS also runs with NODE_ENV=production.',
    );
    const report: BenchReport = {
      id: 'P6',
      title: 'A static route: GET /info beside bare NestJS and the floor',
      rows,
      notes,
    };
    finish(report, args);
  } finally {
    for (const c of children.reverse()) await c.stop();
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
