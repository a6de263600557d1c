import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inParallel, call, createConversation, register, send } from './lib/client';
import { load, LoadOptions, LoadResult } from './lib/load';
import { formatSummary, summarizeProfile } from './lib/profile';
import { BenchReport, finish, log, median, parseArgs, row } from './lib/report';
import {
  Child,
  createDatabase,
  DB_POOL_SIZE,
  JWT_SECRET,
  startHelper,
  startService,
} from './lib/service';

/**
 * P1 — REST: authenticated GET /conversations (20 rows), GET /users/me and POST /auth/login
 * against the service (its own process, compiled JS, PostgreSQL + Redis) and beside
 * bench/baseline/raw-server.ts (node:http + pg doing the same checks and the same SQL).
 */
const args = parseArgs();
const DURATION = args.quick ? 3 : 10;
const WARMUP = args.quick ? 1 : 3;
const REPS = args.quick ? 1 : 3;
const CONNECTIONS = 10;

interface Series {
  app: LoadResult[];
  raw: LoadResult[];
}

async function main(): Promise<void> {
  const db = await createDatabase('p1');
  const children: Child[] = [];
  try {
    const upstream = await startHelper('bench/baseline/instant-upstream.ts', {});
    children.push(upstream);
    const app = await startService({
      DATABASE_URL: db.url,
      LLM_PROVIDER: 'openai',
      OPENAI_API_KEY: 'bench-key',
      OPENAI_BASE_URL: `${upstream.url}/v1`,
    });
    children.push(app);

    log('seeding: one user, 25 conversations with messages');
    const user = await register(app.url, 'bench_p1');
    const ids: string[] = [];
    for (let i = 0; i < 25; i++)
      ids.push(await createConversation(app.url, user.token, `Conversation ${i + 1}`));
    await inParallel(ids, 5, (id) => send(app.url, user.token, id, 'Hello, how are you?'));

    const raw = await startHelper('bench/baseline/raw-server.ts', {
      DATABASE_URL: db.url,
      JWT_SECRET,
      DB_POOL_SIZE: String(DB_POOL_SIZE),
      BENCH_LOGIN_USER: user.username,
    });
    children.push(raw);

    // Same answers from both before anything is timed.
    const notes: string[] = [];
    for (const path of ['/conversations?page=1&size=20', '/users/me']) {
      const a = await fetch(`${app.url}/api/v1${path}`, {
        headers: { authorization: `Bearer ${user.token}` },
      });
      const b = await fetch(`${raw.url}/api/v1${path}`, {
        headers: { authorization: `Bearer ${user.token}` },
      });
      const ja = (await a.json()) as { data: unknown };
      const jb = (await b.json()) as { data: unknown };
      const strip = (v: unknown) => JSON.stringify(v);
      if (a.status !== 200 || b.status !== 200 || strip(ja.data) !== strip(jb.data)) {
        throw new Error(`app and baseline disagree on ${path}:\n${strip(ja)}\n${strip(jb)}`);
      }
    }
    const page = await call<{ conversations: unknown[] }>(
      app.url,
      'GET',
      '/conversations?page=1&size=20',
      undefined,
      user.token,
    );
    notes.push(
      `Both servers answered GET /conversations with the same data (${page.data.conversations.length} rows of 25) and GET /users/me with the same profile before timing.`,
    );

    const auth = { authorization: `Bearer ${user.token}` };
    const loginBody = JSON.stringify({ username: user.username, password: user.password });
    const targets: { key: string; options: Omit<LoadOptions, 'url' | 'duration'> }[] = [
      { key: 'conversations', options: { method: 'GET', headers: auth } },
      { key: 'me', options: { method: 'GET', headers: auth } },
      {
        key: 'login',
        options: {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: loginBody,
        },
      },
    ];
    const paths: Record<string, string> = {
      conversations: '/api/v1/conversations?page=1&size=20',
      me: '/api/v1/users/me',
      login: '/api/v1/auth/login',
    };
    const series: Record<string, Series> = {};
    for (const t of targets) {
      series[t.key] = { app: [], raw: [] };
      for (const [name, base] of [
        ['app', app.url],
        ['raw', raw.url],
      ] as const) {
        await load({
          ...t.options,
          url: base + paths[t.key],
          duration: WARMUP,
          connections: CONNECTIONS,
        });
        void name;
      }
    }
    for (let rep = 0; rep < REPS; rep++) {
      for (const t of targets) {
        // Alternate which side goes first so drift on a shared machine hits both alike.
        const order = rep % 2 === 0 ? (['app', 'raw'] as const) : (['raw', 'app'] as const);
        for (const side of order) {
          const base = side === 'app' ? app.url : raw.url;
          const r = await load({
            ...t.options,
            url: base + paths[t.key],
            duration: DURATION,
            connections: CONNECTIONS,
          });
          if (r.failed > 0)
            notes.push(`${t.key} (${side}) rep ${rep + 1}: ${r.failed} non-2xx/errors`);
          log(
            `${t.key} ${side} rep ${rep + 1}: ${r.rps.toFixed(0)} req/s p50 ${r.p50} ms p99 ${r.p99} ms`,
          );
          series[t.key][side].push(r);
        }
      }
    }

    // Authentication cost (issue 16): GET /users/me with an API key beside the same with the
    // access token, on the service alone, alternating within the same run.
    const created = await call<{ key: string }>(
      app.url,
      'POST',
      '/api-keys',
      { name: 'bench' },
      user.token,
    );
    if (created.status !== 201 || !created.data?.key) {
      throw new Error(
        `could not create an API key: ${created.status} ${JSON.stringify(created.raw)}`,
      );
    }
    const byKey = { authorization: `Bearer ${created.data.key}` };
    const authSeries: Record<'jwt' | 'key', LoadResult[]> = { jwt: [], key: [] };
    await load({
      method: 'GET',
      headers: byKey,
      url: app.url + paths.me,
      duration: WARMUP,
      connections: CONNECTIONS,
    });
    for (let rep = 0; rep < REPS; rep++) {
      const order = rep % 2 === 0 ? (['key', 'jwt'] as const) : (['jwt', 'key'] as const);
      for (const how of order) {
        const r = await load({
          method: 'GET',
          headers: how === 'key' ? byKey : auth,
          url: app.url + paths.me,
          duration: DURATION,
          connections: CONNECTIONS,
        });
        if (r.failed > 0) notes.push(`me (${how}) rep ${rep + 1}: ${r.failed} non-2xx/errors`);
        log(
          `me by ${how} rep ${rep + 1}: ${r.rps.toFixed(0)} req/s p50 ${r.p50} ms p99 ${r.p99} ms`,
        );
        authSeries[how].push(r);
      }
    }

    const med = (key: string, side: 'app' | 'raw', f: (r: LoadResult) => number) =>
      median(series[key][side].map(f));
    const rows = [];
    for (const [key, label] of [
      ['conversations', 'GET /conversations (20 rows)'],
      ['me', 'GET /users/me'],
    ] as const) {
      const a = med(key, 'app', (r) => r.rps);
      const b = med(key, 'raw', (r) => r.rps);
      rows.push(
        row(`${label} req/s`, a, 'req/s', {
          baseline: b,
          target: '≥ 50 % of raw',
          met: a / b >= 0.5,
        }),
      );
      rows.push(
        row(
          `${label} p50`,
          med(key, 'app', (r) => r.p50),
          'ms',
          { baseline: med(key, 'raw', (r) => r.p50) },
        ),
      );
      rows.push(
        row(
          `${label} p99`,
          med(key, 'app', (r) => r.p99),
          'ms',
          { baseline: med(key, 'raw', (r) => r.p99) },
        ),
      );
    }
    rows.push(
      row(
        'POST /auth/login req/s',
        med('login', 'app', (r) => r.rps),
        'req/s',
        {
          baseline: med('login', 'raw', (r) => r.rps),
        },
      ),
      row(
        'POST /auth/login p50',
        med('login', 'app', (r) => r.p50),
        'ms',
        {
          baseline: med('login', 'raw', (r) => r.p50),
        },
      ),
    );
    const authMed = (how: 'jwt' | 'key', f: (r: LoadResult) => number) =>
      median(authSeries[how].map(f));
    rows.push(
      row(
        'GET /users/me req/s, API key',
        authMed('key', (r) => r.rps),
        'req/s',
        {
          baseline: authMed('jwt', (r) => r.rps),
        },
      ),
      row(
        'GET /users/me p50, API key',
        authMed('key', (r) => r.p50),
        'ms',
        {
          baseline: authMed('jwt', (r) => r.p50),
        },
      ),
    );
    notes.push(
      'API key rows: the same GET /users/me on the service with `Bearer sk-…` (a keyed hash and a cached lookup) beside the access token (HS256 and the session cache) as baseline, runs alternating.',
    );
    notes.push(
      `autocannon, ${CONNECTIONS} connections, ${DURATION} s per run after a ${WARMUP} s warm-up, ${REPS} run(s) per side, median shown; app and raw runs alternate.`,
      'Baseline for GET routes: bench/baseline/raw-server.ts (node:http + pg Pool of the same size, the same HS256 checks, the same session lookup and the same SQL; no Redis, no rate-limit check, no logging or metrics).',
      'Baseline for POST /auth/login: a node:http server that only runs argon2.verify on the same hash; the service also looks the user up, opens a session and a refresh token in one transaction and signs two tokens, so the ratio shows how much of a login is hashing.',
    );
    if (rows.some((r) => r.met === false)) {
      // Where to look: the service under the same GET /conversations load, profiled.
      const dir = mkdtempSync(join(tmpdir(), 'chat-bench-p1-prof-'));
      try {
        await app.stop();
        children.splice(children.indexOf(app), 1);
        const profiled = await startService(
          {
            DATABASE_URL: db.url,
            LLM_PROVIDER: 'openai',
            OPENAI_API_KEY: 'bench-key',
            OPENAI_BASE_URL: `${upstream.url}/v1`,
          },
          ['--cpu-prof', `--cpu-prof-dir=${dir}`],
        );
        children.push(profiled);
        const loadStarted = Date.now();
        await load({
          ...targets[0].options,
          url: profiled.url + paths.conversations,
          duration: DURATION,
          connections: CONNECTIONS,
        });
        await profiled.stop();
        notes.push(
          ...formatSummary(summarizeProfile(dir, 12, Date.now() - loadStarted)).map(
            (n) => `GET /conversations: ${n}`,
          ),
        );
      } finally {
        if (!process.env.BENCH_KEEP_PROFILES) rmSync(dir, { recursive: true, force: true });
      }
    }
    const report: BenchReport = {
      id: 'P1',
      title: 'REST throughput beside a raw node:http + pg server',
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
