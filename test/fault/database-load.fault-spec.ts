import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedPostgres } from '../../src/database/embedded-postgres';
import {
  aConversation,
  bearer,
  ConversationData,
  fetchQuota,
  registerUser,
  RegisteredUser,
} from '../factories';
import { bootApp, TestApp } from '../support/app';
import { sleep, until } from '../support/expect';
import { FakeOpenAi, startFakeOpenAi, fakeOpenAiEnv } from '../support/fake-openai';
import { openSse } from '../support/sse';
import { ProxyMode, TcpProxy } from '../support/tcp-proxy';
import { TITLES_OFF } from '../support/titles';

/**
 * Issue 6: the database goes away while the service is busy. The app reaches its database
 * through a TcpProxy we cut ('refuse': open connections dropped, new ones refused) or silence
 * ('blackhole': nothing crosses any more), as database-faults.e2e-spec.ts does for single
 * requests: the run's PostgreSQL when DATABASE_URL is set, otherwise an embedded PGlite
 * started here and served on a loopback port (one connection, as the app uses it).
 *
 * Under load: failures are fast 503 DATABASE_ERROR (never a 500, never a hang past the
 * configured timeouts), /health says unhealthy, the process recovers by itself, and every
 * write that was acknowledged with a 2xx is there afterwards.
 * Mid-stream: what a client sees, what is stored for the reply, and the quota reservation.
 */

const CLIENTS = 20;
const CONNECT_TIMEOUT_MS = 1000;
const STATEMENT_TIMEOUT_MS = 1000;
/** pg's query_timeout is the statement timeout plus 1 s (typeorm-options.ts). */
const QUERY_TIMEOUT_MS = STATEMENT_TIMEOUT_MS + 1000;
/** A request that takes longer than this is a hang, whatever it answers. */
const CLIENT_TIMEOUT_MS = 15_000;
/** HealthService caches its checks this long (health.service.ts CACHE_MS). */
const HEALTH_CACHE_MS = 5000;

type Phase = 'up' | 'cut' | 'restored';

interface Call {
  client: number;
  kind: 'create conversation' | 'send message';
  phase: Phase;
  startedAt: number;
  ms: number;
  status: number;
  code?: string;
  /** The conversation's title (creates): unique, to find an unacknowledged row later. */
  title?: string;
  conversationId?: string;
  /** Ids a 2xx acknowledged. */
  ids: string[];
}

function stats(values: number[]): { n: number; p50: number; p95: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { n: sorted.length, p50: at(0.5) ?? 0, p95: at(0.95) ?? 0, max: sorted.at(-1) ?? 0 };
}

describe('Database failures under load and mid-stream (app -> TcpProxy -> database)', () => {
  let fake: FakeOpenAi;
  let t: TestApp;
  let proxy: TcpProxy;
  let embedded: EmbeddedPostgres | undefined;
  let embeddedDir: string | undefined;
  const label = process.env.DATABASE_URL ? 'PostgreSQL' : 'embedded PGlite';

  beforeAll(async () => {
    fake = await startFakeOpenAi();
    let target: URL;
    if (process.env.DATABASE_URL) {
      target = new URL(process.env.DATABASE_URL);
    } else {
      embeddedDir = mkdtempSync(join(tmpdir(), 'chat-db-load-'));
      embedded = new EmbeddedPostgres(embeddedDir);
      target = new URL(await embedded.start());
    }
    proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    const viaProxy = new URL(target.toString());
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(await proxy.start());
    t = await bootApp({
      DATABASE_URL: viaProxy.toString(),
      // PGlite serves one connection safely; PostgreSQL gets a small pool the load queues on.
      DB_POOL_SIZE: embedded ? '1' : '5',
      DB_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
      DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
      ...fakeOpenAiEnv(fake, 'sk-fault'),
      ...TITLES_OFF,
      // The load sends far more than a day's quota; the quotas are not under test here.
      QUOTA_NORMAL_DAILY_REQUESTS: '1000000',
      QUOTA_NORMAL_MONTHLY_REQUESTS: '1000000',
      QUOTA_NORMAL_DAILY_TOKENS: '100000000',
      QUOTA_NORMAL_MONTHLY_TOKENS: '100000000',
    });
  });
  afterEach(() => {
    proxy.setMode('pass');
    fake.reset();
  });
  afterAll(async () => {
    proxy?.setMode('pass');
    await t?.close();
    await fake?.close();
    await proxy?.stop();
    await embedded?.stop();
    if (embeddedDir) rmSync(embeddedDir, { recursive: true, force: true });
  });

  const health = async () => (await t.api().get('/api/v1/health')).status;
  const ready = async () => (await t.api().get('/api/v1/health/ready')).status;

  /** One request of the load, timed; a 2xx records the ids it acknowledged. */
  async function call(
    client: number,
    user: RegisteredUser,
    conv: ConversationData,
    seq: number,
    phase: () => Phase,
  ): Promise<Call> {
    const startedAt = Date.now();
    const started = phase();
    // Three creates for one send: the sends (whole replies from the fake) weigh more.
    if (seq % 4 === 3) {
      const res = await t
        .api()
        .post(`/api/v1/conversations/${conv.id}/messages`)
        .set(bearer(user.accessToken))
        .timeout(CLIENT_TIMEOUT_MS)
        .send({ content: `load ${client}/${seq}`, role: 'user' })
        .catch((e: { timeout?: number }) => ({ status: e.timeout ? -1 : 0, body: undefined }));
      return {
        client,
        kind: 'send message',
        phase: started,
        startedAt,
        ms: Date.now() - startedAt,
        status: res.status,
        code: res.body?.error?.code,
        conversationId: conv.id,
        ids:
          res.status === 201
            ? [res.body.data.user_message.id, res.body.data.assistant_message.id]
            : [],
      };
    }
    const title = `load ${client}/${seq} ${startedAt}`;
    const res = await t
      .api()
      .post('/api/v1/conversations')
      .set(bearer(user.accessToken))
      .timeout(CLIENT_TIMEOUT_MS)
      .send({ title })
      .catch((e: { timeout?: number }) => ({ status: e.timeout ? -1 : 0, body: undefined }));
    return {
      client,
      kind: 'create conversation',
      phase: started,
      startedAt,
      ms: Date.now() - startedAt,
      status: res.status,
      code: res.body?.error?.code,
      title,
      ids: res.status === 201 ? [res.body.data.id] : [],
    };
  }

  /**
   * CLIENTS clients loop over creates and sends; after 1.5 s the proxy goes to `mode` until
   * /health has said unhealthy and at least 2.5 s have passed; then it passes again, and the
   * load goes on until /health is healthy again and 1 s more.
   */
  async function outageUnderLoad(mode: Exclude<ProxyMode, 'pass'>) {
    const users = await Promise.all(Array.from({ length: 4 }, () => registerUser(t)));
    const clients = await Promise.all(
      Array.from({ length: CLIENTS }, async (_, i) => {
        const user = users[i % users.length];
        return { user, conv: await aConversation(t, user, { title: `load target ${i}` }) };
      }),
    );
    fake.setDefault({
      text: 'Stored, I hope.',
      usage: { prompt_tokens: 10, completion_tokens: 4 },
    });
    expect(await health()).toBe(200);

    let phase: Phase = 'up';
    let stop = false;
    const calls: Call[] = [];
    const loops = clients.map(async ({ user, conv }, i) => {
      for (let seq = 0; !stop; seq++) {
        const c = await call(i, user, conv, seq, () => phase);
        calls.push(c);
        // A failing client backs off a little instead of spinning.
        if (c.status < 200 || c.status >= 300) await sleep(25);
      }
    });

    await sleep(1500);
    phase = 'cut';
    const cutAt = Date.now();
    proxy.setMode(mode);
    // Readiness asks the database now; /health may answer from its cache for a while.
    let readyDownAfter: number | undefined;
    let healthDownAfter: number | undefined;
    while (healthDownAfter === undefined && Date.now() - cutAt < HEALTH_CACHE_MS + 5000) {
      const [r, h] = await Promise.all([ready(), health()]);
      if (r === 503) readyDownAfter ??= Date.now() - cutAt;
      if (h === 503) healthDownAfter = Date.now() - cutAt;
      else await sleep(100);
    }
    const minCutMs = 2500;
    if (Date.now() - cutAt < minCutMs) await sleep(minCutMs - (Date.now() - cutAt));
    const restoredAt = Date.now();
    phase = 'restored';
    proxy.setMode('pass');
    await until(
      () => calls.some((c) => c.startedAt >= restoredAt && c.status >= 200 && c.status < 300),
      15_000,
      'a 2xx after the database returned',
    );
    const firstOkAfter =
      Math.min(
        ...calls
          .filter((c) => c.startedAt >= restoredAt && c.status >= 200 && c.status < 300)
          .map((c) => c.startedAt + c.ms),
      ) - restoredAt;
    let healthUpAfter = 0;
    await until(
      async () => {
        healthUpAfter = Date.now() - restoredAt;
        return (await health()) === 200;
      },
      HEALTH_CACHE_MS + 10_000,
      '/health to say healthy again',
    );
    await sleep(1000);
    stop = true;
    await Promise.all(loops);
    return {
      calls,
      cutAt,
      restoredAt,
      readyDownAfter,
      healthDownAfter,
      healthUpAfter,
      firstOkAfter,
      clients,
    };
  }

  /** Reads back every acknowledged write over the API, and counts unacknowledged ones stored anyway. */
  async function readBack(run: Awaited<ReturnType<typeof outageUnderLoad>>) {
    const acked = run.calls.filter((c) => c.status >= 200 && c.status < 300);
    const lost: string[] = [];
    const creates = acked.filter((c) => c.kind === 'create conversation');
    const userOf = (c: Call) => run.clients[c.client].user;
    for (let i = 0; i < creates.length; i += 10) {
      await Promise.all(
        creates.slice(i, i + 10).map(async (c) => {
          const res = await t
            .api()
            .get(`/api/v1/conversations/${c.ids[0]}`)
            .set(bearer(userOf(c).accessToken));
          if (res.status !== 200 || res.body.data.title !== c.title) lost.push(c.ids[0]);
        }),
      );
    }
    // Each client's target conversation holds all its acknowledged sends, both messages completed.
    const sends = acked.filter((c) => c.kind === 'send message');
    let streamingLeft = 0;
    for (const [i, { user, conv }] of run.clients.entries()) {
      const res = await t
        .api()
        .get(`/api/v1/conversations/${conv.id}`)
        .set(bearer(user.accessToken));
      expect(res.status).toBe(200);
      const stored = new Map<string, string>(
        (res.body.data.messages as { id: string; status: string }[]).map((m) => [m.id, m.status]),
      );
      streamingLeft += [...stored.values()].filter((s) => s === 'streaming').length;
      for (const c of sends.filter((s) => s.client === i)) {
        for (const id of c.ids) if (stored.get(id) !== 'completed') lost.push(id);
      }
    }
    const unackedTitles = run.calls
      .filter((c) => c.kind === 'create conversation' && c.status === 503)
      .map((c) => c.title!);
    const [{ n: storedAnyway }] = await t.sql<{ n: number }>(
      'SELECT count(*)::int AS n FROM conversations WHERE title = ANY($1)',
      [unackedTitles],
    );
    return {
      acked: acked.length,
      creates: creates.length,
      sends: sends.length,
      lost,
      storedAnyway,
      streamingLeft,
    };
  }

  function report(
    mode: string,
    run: Awaited<ReturnType<typeof outageUnderLoad>>,
    back: Awaited<ReturnType<typeof readBack>>,
  ) {
    const during = run.calls.filter(
      (c) => c.startedAt >= run.cutAt && c.startedAt + c.ms <= run.restoredAt,
    );
    const failed = stats(during.map((c) => c.ms));
    const all503 = stats(run.calls.filter((c) => c.status === 503).map((c) => c.ms));
    const by = (p: Phase) => run.calls.filter((c) => c.phase === p);
    const ok = (cs: Call[]) => cs.filter((c) => c.status >= 200 && c.status < 300).length;
    console.log(
      `database ${mode} under load (${label}, ${CLIENTS} clients): ` +
        `before ${ok(by('up'))}/${by('up').length} ok; during the cut ${during.length} requests, ` +
        `${during.filter((c) => c.status === 503).length} × 503 DATABASE_ERROR in p50 ${failed.p50} / p95 ${failed.p95} / max ${failed.max} ms ` +
        `(all ${all503.n} × 503: p50 ${all503.p50} / p95 ${all503.p95} / max ${all503.max} ms); ` +
        `/health/ready 503 after ${run.readyDownAfter ?? '-'} ms, /health 503 after ${run.healthDownAfter ?? '-'} ms; ` +
        `restored: first 2xx after ${run.firstOkAfter} ms, /health 200 after ${run.healthUpAfter} ms; ` +
        `after ${ok(by('restored'))}/${by('restored').length} ok; ` +
        `acknowledged ${back.acked} (${back.creates} conversations, ${back.sends} sends), lost ${back.lost.length}; ` +
        `answered 503 but stored ${back.storedAnyway}; replies left 'streaming' ${back.streamingLeft}`,
    );
    return { during, failed };
  }

  /** Whatever the phase: 2xx or 503 DATABASE_ERROR; never a 500, another code, or a hang. */
  function expectOnlyAcksAndDatabaseErrors(calls: Call[]): void {
    const odd = calls.filter(
      (c) =>
        !(c.status >= 200 && c.status < 300) && !(c.status === 503 && c.code === 'DATABASE_ERROR'),
    );
    expect(
      odd.map((c) => ({ kind: c.kind, phase: c.phase, status: c.status, code: c.code, ms: c.ms })),
    ).toEqual([]);
  }

  it('connections cut under load: fast 503 DATABASE_ERROR, /health 503, recovery without restart, zero lost acknowledged writes', async () => {
    const run = await outageUnderLoad('refuse');
    const back = await readBack(run);
    const { during, failed } = report('cut (refuse)', run, back);

    expectOnlyAcksAndDatabaseErrors(run.calls);
    expect(run.calls.filter((c) => c.phase === 'up' && c.status === 201).length).toBeGreaterThan(
      CLIENTS,
    );
    // Everything that started and ended within the cut failed, and failed fast: refused
    // connections fail at once; a bound, not a speed figure.
    expect(during.length).toBeGreaterThan(CLIENTS);
    expect(during.every((c) => c.status === 503)).toBe(true);
    expect(failed.max).toBeLessThan(CONNECT_TIMEOUT_MS + QUERY_TIMEOUT_MS);
    expect(run.readyDownAfter).toBeDefined();
    expect(run.healthDownAfter).toBeDefined();
    expect(run.healthDownAfter).toBeLessThanOrEqual(HEALTH_CACHE_MS + 2000);
    // Recovered by itself: acknowledged writes after the cut, and /health healthy again.
    expect(
      run.calls.filter((c) => c.phase === 'restored' && c.status === 201).length,
    ).toBeGreaterThan(0);
    expect(back.lost).toEqual([]);
  });

  it('database silent under load (packets swallowed): 503 DATABASE_ERROR within the timeouts, recovery, zero lost acknowledged writes', async () => {
    const run = await outageUnderLoad('blackhole');
    const back = await readBack(run);
    const { during } = report('silent (blackhole)', run, back);

    expectOnlyAcksAndDatabaseErrors(run.calls);
    expect(during.length).toBeGreaterThan(0);
    expect(during.every((c) => c.status === 503)).toBe(true);
    // A request may wait for a pool slot (connect timeout) and then for its query (query
    // timeout), a few queries in a row: bounded, never a hang.
    const worst = Math.max(...run.calls.filter((c) => c.status === 503).map((c) => c.ms));
    expect(worst).toBeLessThan(3 * (CONNECT_TIMEOUT_MS + QUERY_TIMEOUT_MS));
    expect(
      run.calls.filter((c) => c.phase === 'restored' && c.status === 201).length,
    ).toBeGreaterThan(0);
    expect(back.lost).toEqual([]);
  });

  describe('a streaming reply when the database goes away', () => {
    const TEXT = Array.from({ length: 20 }, (_, i) => `word${i}`).join(' ');

    async function startStream(user: RegisteredUser, conv: ConversationData) {
      const stream = await openSse(`${t.url}/api/v1/conversations/${conv.id}/messages/stream`, {
        headers: bearer(user.accessToken),
        body: { content: 'tell me something long', role: 'user' },
      });
      expect(stream.status).toBe(200);
      const start = await stream.waitFor((f) => f.data?.type === 'start');
      return { stream, replyId: start.data.message_id as string };
    }

    const rowOf = async (id: string) =>
      (
        await t.sql<{ status: string; content: string }>(
          'SELECT status, content FROM messages WHERE id = $1',
          [id],
        )
      )[0];

    it('cut mid-stream and back before the reply ends: the client gets the whole reply, stored completed, billed once', async () => {
      const user = await registerUser(t);
      const conv = await aConversation(t, user);
      const before = await fetchQuota(t, user);
      fake.setDefault({
        text: TEXT,
        chunkIntervalMs: 100,
        usage: { prompt_tokens: 12, completion_tokens: 20 },
      });
      const { stream, replyId } = await startStream(user, conv);
      await stream.waitFor((f) => f.data?.type === 'content');
      proxy.setMode('refuse');
      await sleep(600);
      proxy.setMode('pass');
      await stream.untilEnd(15_000);

      const last = stream.events.at(-1);
      const text = stream.events
        .filter((e) => e.type === 'content')
        .map((e) => e.content as string)
        .join('');
      console.log(
        `database cut 600 ms mid-stream (${label}): client saw ${stream.events.length} events, last ${JSON.stringify(last)}`,
      );
      expect(last).toMatchObject({ type: 'end', usage: { total_tokens: 32 } });
      expect(text).toBe(TEXT);
      expect(await rowOf(replyId)).toEqual({ status: 'completed', content: TEXT });
      const after = await fetchQuota(t, user);
      expect(after.usage_today).toEqual({
        requests: before.usage_today.requests + 1,
        tokens: before.usage_today.tokens + 32,
      });
    });

    // Found by this suite (docs/RELIABILITY.md, known issue 10, fixed): the database writes of a
    // reply happen at its end (store the outcome and settle the quota, one statement). When the
    // database was gone at that moment the reply stayed `streaming` for ever (no edit, no delete,
    // a resume erroring) and its reservation was never given back. The closing statement is now
    // retried with backoff while the database is unreachable (GenerationService.closeReply) and is
    // safe to run twice (it only closes a row still `streaming`, and settles once).
    it('cut when the reply ends, back 1 s later: the stream ends with `end` once the database is back, the reply is stored completed and billed once', async () => {
      const user = await registerUser(t);
      const conv = await aConversation(t, user);
      const before = await fetchQuota(t, user);
      fake.setDefault({
        text: TEXT,
        chunkIntervalMs: 50,
        usage: { prompt_tokens: 12, completion_tokens: 20 },
      });
      const { stream, replyId } = await startStream(user, conv);
      let endedAt = 0;
      void stream.finished.then(() => (endedAt = Date.now()));
      await stream.waitFor((f) => f.data?.type === 'content');
      proxy.setMode('refuse');
      const cutAt = Date.now();
      // The database comes back 1 s after the provider has sent the whole reply.
      await until(() => fake.chatRequests[0]?.finished === true, 10_000, 'the upstream reply');
      await sleep(1000);
      proxy.setMode('pass');
      const restoredAt = Date.now();
      await stream.untilEnd(15_000);
      await until(async () => (await health()) === 200, HEALTH_CACHE_MS + 10_000, 'recovery');
      // Plenty of time for any retry or sweep to have put things right.
      await sleep(3000);

      const last = stream.events.at(-1);
      const content = stream.events.filter((e) => e.type === 'content').length;
      const row = await rowOf(replyId);
      const after = await fetchQuota(t, user);
      const checkedAfter = Date.now() - restoredAt;
      const resumed = await openSse(
        `${t.url}/api/v1/conversations/${conv.id}/messages/${replyId}/stream`,
        { headers: bearer(user.accessToken) },
      );
      await resumed.untilEnd(5000);
      const del = await t.api().delete(`/api/v1/messages/${replyId}`).set(bearer(user.accessToken));
      console.log(
        `database cut as the reply ended (${label}): client saw ${content} content events then ${JSON.stringify(last)} ` +
          `${endedAt - cutAt} ms after the cut (the database returned after ${restoredAt - cutAt} ms); ` +
          `${checkedAfter} ms after it returned the reply is '${row.status}' ` +
          `(${row.content.length} chars), usage today ${JSON.stringify(after.usage_today)} (before ${JSON.stringify(before.usage_today)}), ` +
          `DELETE → ${del.status}, resume → ${JSON.stringify(resumed.events.at(-1))}`,
      );

      // The client had the whole text as it came.
      expect(content).toBe(20);

      // The stream waited for the database and ended normally after it returned.
      expect(last).toMatchObject({ type: 'end', usage: { total_tokens: 32 } });
      expect(endedAt).toBeGreaterThanOrEqual(restoredAt);
      expect(row).toEqual({ status: 'completed', content: TEXT });
      expect(del.status).toBe(200);
      // Billed once: one request and the 32 tokens the provider reported, nothing held.
      expect(after.usage_today).toEqual({
        requests: before.usage_today.requests + 1,
        tokens: before.usage_today.tokens + 32,
      });
    });
  });
});
