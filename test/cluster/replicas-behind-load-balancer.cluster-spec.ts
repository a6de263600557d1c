import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import { offlineReplyTo } from '../../src/modules/llm/offline.provider';
import {
  Backend,
  haproxyAvailable,
  LoadBalancer,
  SERVED_BY,
  startLoadBalancer,
  waitForBackends,
} from '../support/load-balancer';
import { freePort, ServiceProcess, startService } from '../support/service-process';
import { openSse, SseFrame, SseStream } from '../support/sse';
import { chatWsUrl, closeAllWs, WsClient, WsFrame } from '../support/ws-client';

/**
 * Three replicas of the service as real processes on PostgreSQL and Redis, behind HAProxy (round
 * robin, no stickiness, readiness as its health check). Everything is asked through the load
 * balancer; the `X-Served-By` header it adds tells which replica answered. Jest runs this file
 * only when DATABASE_URL and REDIS_URL are set (its name holds "replica": jest.config.js), and
 * haproxy must be installed (scripts/install-haproxy.sh).
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const root = join(__dirname, '../..');

/** Pause before each word of the offline model: a reply of ~55 words lasts ~14 s. */
const WORD_DELAY_MS = 250;

/** What every replica runs with; the limits stay at startService's (very high) test values. */
const BASE_ENV: Record<string, string> = {
  LLM_PROVIDER: 'offline',
  OPENAI_API_KEY: '',
  // Sockets get automatic titles as conversation_updated and a skipped event number; the
  // exactly-once checks below want every event number of a reply.
  AUTO_TITLE: 'false',
  TRUST_PROXY: 'loopback',
  // The load users send a reply after another for the whole run: quotas are not the subject.
  QUOTA_NORMAL_DAILY_REQUESTS: '1000000',
  QUOTA_NORMAL_MONTHLY_REQUESTS: '1000000',
  QUOTA_NORMAL_DAILY_TOKENS: '100000000',
  QUOTA_NORMAL_MONTHLY_TOKENS: '100000000',
  // Longer than any reply here: a draining replica finishes what it runs.
  SHUTDOWN_GRACE_MS: '30000',
};

interface Cluster {
  lb: LoadBalancer;
  backends: Backend[];
  replicas: ServiceProcess[];
  env: Record<string, string>;
}

async function startCluster(env: Record<string, string>): Promise<Cluster> {
  const ports = await Promise.all([freePort(), freePort(), freePort()]);
  const backends = ports.map((port, i) => ({ name: `replica${i + 1}`, port }));
  const replicas = await Promise.all(
    backends.map((b) => startService(env, { port: b.port, readyTimeoutMs: 120_000 })),
  );
  const lb = await startLoadBalancer(backends);
  return { lb, backends, replicas, env };
}

async function stopCluster(cluster: Cluster | undefined): Promise<(number | null)[]> {
  if (!cluster) return [];
  const codes = await Promise.all(cluster.replicas.map((r) => r.stop()));
  await Promise.all(cluster.replicas.map((r) => r.dispose()));
  await cluster.lb.stop();
  return codes;
}

/** Every answer's status (and error code) seen through the load balancer, counted. */
class Tally {
  readonly counts = new Map<string, number>();
  add(status: number, code?: string): void {
    const key = code ? `${status} ${code}` : String(status);
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
  /** 5xx answers other than the documented 503 of a draining replica. */
  undocumented5xx(): string[] {
    return [...this.counts.keys()].filter(
      (k) => k.startsWith('5') && k !== '503 SERVICE_UNAVAILABLE' && k !== '503 upgrade',
    );
  }
  count(prefix: string): number {
    let n = 0;
    for (const [k, v] of this.counts) if (k.startsWith(prefix)) n += v;
    return n;
  }
}

interface User {
  username: string;
  password: string;
  token: string;
  id: string;
}

/** JSON over fetch through the load balancer: status, body, and which replica answered. */
async function call(
  base: string,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any; servedBy: string | null }> {
  const res = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON (an HTML page from the proxy would land here).
  }
  return { status: res.status, body: parsed, servedBy: res.headers.get(SERVED_BY) };
}

async function register(base: string): Promise<User> {
  const tag = randomBytes(4).toString('hex');
  const username = `lb_${tag}`;
  const password = `lb-pass-${tag}`;
  const res = await call(base, 'POST', '/auth/register', undefined, {
    username,
    email: `${username}@example.com`,
    password,
    confirm_password: password,
  });
  if (res.status !== 201) throw new Error(`register: ${res.status} ${JSON.stringify(res.body)}`);
  return { username, password, token: res.body.data.access_token, id: res.body.data.user.id };
}

async function conversation(base: string, user: User): Promise<{ id: string; model: string }> {
  const res = await call(base, 'POST', '/conversations', user.token, {});
  if (res.status !== 201)
    throw new Error(`conversation: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.data.id, model: res.body.data.model };
}

/** What the offline model answers to `content` alone in a conversation on `model`. */
const expectedReply = (content: string, model: string) =>
  offlineReplyTo({ messages: [{ role: 'user', content }], model });

/** A question of a dozen words (the reply restates it: ~60 words in all). */
const question = (n: number) =>
  `Question ${n}: please explain how replicas behind a load balancer keep streaming replies.`;

/** Checks one reply's events: numbered 1..n once each, start first, end last, the whole text. */
function expectExactlyOnce(
  events: { seq: number; type: string; content?: string }[],
  text: string,
  what: string,
): void {
  const seqs = events.map((e) => e.seq);
  const consecutive = seqs.every((s, i) => s === i + 1);
  if (!consecutive) throw new Error(`${what}: event numbers ${JSON.stringify(seqs)}`);
  expect(events[0]?.type).toBe('start');
  expect(events.at(-1)?.type).toBe('end');
  const got = events
    .filter((e) => e.type === 'content')
    .map((e) => e.content)
    .join('');
  if (got !== text)
    throw new Error(`${what}: text ${JSON.stringify(got)} != ${JSON.stringify(text)}`);
}

/** SSE frames as (seq, type, content). */
const sseEvents = (frames: SseFrame[]) =>
  frames.map((f) => ({
    seq: Number(f.id),
    type: f.data.type as string,
    content: f.data.content as string | undefined,
  }));

/** WebSocket frames of one reply as (seq, type, content), with the SSE names. */
const wsEvents = (frames: WsFrame[]) =>
  frames.map((f) => ({
    seq: f.seq as number,
    type: String(f.type).replace(/^message_/, ''),
    content: f.content as string | undefined,
  }));

function runClient(
  script: string,
  env: Record<string, string>,
): Promise<{ code: number | null; out: string }> {
  const [cmd, ...args] = script.endsWith('.py') ? ['python3', script] : [process.execPath, script];
  const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env } });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, out })));
}

const describeCluster = haproxyAvailable() ? describe : describe.skip;
if (!haproxyAvailable()) {
  console.warn(
    'haproxy is not installed (scripts/install-haproxy.sh): load-balancer suite skipped',
  );
}

describeCluster('Three replicas behind HAProxy (PostgreSQL + Redis)', () => {
  let cluster: Cluster;
  let base: string;

  beforeAll(async () => {
    if (!process.env.DATABASE_URL || !process.env.REDIS_URL) {
      throw new Error('needs DATABASE_URL and REDIS_URL');
    }
    cluster = await startCluster({ ...BASE_ENV, OFFLINE_TOKEN_DELAY_MS: String(WORD_DELAY_MS) });
    base = cluster.lb.url;
  }, 180_000);

  afterAll(async () => {
    await closeAllWs();
    const codes = await stopCluster(cluster);
    expect(codes).toEqual([0, 0, 0]);
  }, 60_000);

  it('spreads requests round robin over the three, and the replicas see the forwarded client address', async () => {
    const served: (string | null)[] = [];
    for (let i = 0; i < 6; i++) served.push((await call(base, 'GET', '/health/ready')).servedBy);
    expect(new Set(served)).toEqual(new Set(['replica1', 'replica2', 'replica3']));
    // No stickiness: consecutive requests go to different replicas.
    expect(served.every((s, i) => i === 0 || s !== served[i - 1])).toBe(true);

    // HAProxy adds X-Forwarded-For; replicas trust loopback (TRUST_PROXY), so the session is
    // recorded with the client's address, not the proxy's. The test client is on loopback
    // itself, so it stands in for a farther client with an address of its own in the header.
    const user = await register(base);
    const login = await call(
      base,
      'POST',
      '/auth/login',
      undefined,
      { username: user.username, password: user.password },
      { 'x-forwarded-for': '203.0.113.9' },
    );
    expect(login.status).toBe(200);
    const sessions = await call(base, 'GET', '/auth/sessions', login.body.data.access_token);
    const ips = (sessions.body.data.sessions as { ip: string | null }[]).map((s) => s.ip);
    expect(ips).toContain('203.0.113.9');
  });

  it("completes the contract's own clients (JavaScript and Python) through the load balancer", async () => {
    const user = await register(base);
    const env = { BASE_URL: base, USERNAME: user.username, PASSWORD: user.password };
    const [js, py] = await Promise.all([
      runClient('test/clients/seed-client.mjs', env),
      runClient('test/clients/seed_client.py', env),
    ]);
    expect({ code: js.code, out: js.code === 0 ? '' : js.out }).toEqual({ code: 0, out: '' });
    expect({ code: py.code, out: py.code === 0 ? '' : py.out }).toEqual({ code: 0, out: '' });
  }, 60_000);

  it('completes an SSE stream and a WebSocket chat, each with the whole reply once', async () => {
    const user = await register(base);
    const conv = await conversation(base, user);
    const content = question(1);
    const stream = await openSse(`${base}/api/v1/conversations/${conv.id}/messages/stream`, {
      headers: { authorization: `Bearer ${user.token}` },
      body: { content },
    });
    expect(stream.status).toBe(200);
    await stream.untilEnd(60_000);
    expectExactlyOnce(sseEvents(stream.frames), expectedReply(content, conv.model), 'sse');

    const conv2 = await conversation(base, user);
    const ws = new WsClient(chatWsUrl(base, `?token=${user.token}`));
    await ws.opened;
    ws.send({ type: 'chat_message', conversation_id: conv2.id, content, request_id: 'one' });
    const start = await ws.waitForType('message_start', { timeoutMs: 30_000 });
    await ws.waitForType('message_end', { messageId: start.message_id, timeoutMs: 60_000 });
    expectExactlyOnce(
      wsEvents(ws.framesOf(start.message_id as string).filter((f) => f.seq !== undefined)),
      expectedReply(content, conv2.model),
      'ws',
    );
    await ws.close();
  }, 120_000);

  it('stops a reply through another replica than the one streaming it', async () => {
    const user = await register(base);
    const conv = await conversation(base, user);
    const stream = await openSse(`${base}/api/v1/conversations/${conv.id}/messages/stream`, {
      headers: { authorization: `Bearer ${user.token}` },
      body: { content: question(2) },
    });
    const streaming = stream.headers[SERVED_BY];
    await stream.waitFor((f) => f.data.type === 'content', 30_000);
    const messageId = stream.frames[0].data.message_id as string;
    const stop = await call(base, 'POST', `/messages/${messageId}/stop`, user.token);
    expect(stop.status).toBe(200);
    // Round robin sent the stop to the next replica, not the one holding the stream.
    expect(stop.servedBy).not.toBe(streaming);
    await stream.untilEnd(10_000);
    const last = stream.frames.at(-1)!.data;
    expect(last).toMatchObject({ type: 'end', stopped: true });
    const text = sseEvents(stream.frames)
      .filter((e) => e.type === 'content')
      .map((e) => e.content)
      .join('');
    expect(stop.body.data).toMatchObject({ id: messageId, status: 'stopped', content: text });
    expect(text.length).toBeLessThan(expectedReply(question(2), conv.model).length);
  }, 60_000);

  it('resumes after a reconnect that lands on another replica: every event exactly once', async () => {
    const user = await register(base);
    const conv = await conversation(base, user);
    const content = question(3);
    const first = await openSse(`${base}/api/v1/conversations/${conv.id}/messages/stream`, {
      headers: { authorization: `Bearer ${user.token}` },
      body: { content },
    });
    await first.waitForFrames(4, 30_000);
    first.disconnect();
    const seen = first.frames.slice();
    const messageId = seen[0].data.message_id as string;
    const again = await openSse(
      `${base}/api/v1/conversations/${conv.id}/messages/${messageId}/stream`,
      { headers: { authorization: `Bearer ${user.token}`, 'Last-Event-ID': seen.at(-1)!.id! } },
    );
    expect(again.status).toBe(200);
    expect(again.headers[SERVED_BY]).not.toBe(first.headers[SERVED_BY]);
    await again.untilEnd(60_000);
    expectExactlyOnce(
      sseEvents([...seen, ...again.frames]),
      expectedReply(content, conv.model),
      'resumed',
    );
  }, 90_000);

  describe('rolling restart under load', () => {
    const SSE_CLIENTS = 100;
    const WS_CLIENTS = 50;
    const USERS = 10;

    interface Outcome {
      kind: 'sse' | 'ws';
      conversationId: string;
      model: string;
      content: string;
      messageId: string;
      userMessageId: string;
      events: { seq: number; type: string; content?: string }[];
      token: string;
    }

    const tally = new Tally();
    const stats = { resumes: 0, drops: 0, connectErrors: 0, maxGapMs: 0 };
    let restarting = true;

    const noteGap = (since: number | undefined) => {
      if (since !== undefined) stats.maxGapMs = Math.max(stats.maxGapMs, Date.now() - since);
    };

    /** One SSE reply: sent on the SSE route, followed on whatever replica, resumed when cut. */
    async function sseStream(
      user: User,
      conv: { id: string; model: string },
      n: number,
      dropOnce: boolean,
    ): Promise<Outcome> {
      const content = question(n);
      const key = randomUUID();
      const frames: SseFrame[] = [];
      let messageId: string | undefined;
      let cutAt: number | undefined;
      let dropped = !dropOnce;
      const history: string[] = [];
      for (let attempt = 0; attempt < 60; attempt++) {
        const resuming = messageId !== undefined;
        let stream: SseStream;
        try {
          stream = resuming
            ? await openSse(
                `${base}/api/v1/conversations/${conv.id}/messages/${messageId}/stream`,
                {
                  headers: {
                    authorization: `Bearer ${user.token}`,
                    'Last-Event-ID': frames.at(-1)!.id!,
                  },
                },
              )
            : await openSse(`${base}/api/v1/conversations/${conv.id}/messages/stream`, {
                headers: { authorization: `Bearer ${user.token}`, 'Idempotency-Key': key },
                body: { content },
              });
        } catch (error) {
          history.push(`connect ${String(error)}`);
          stats.connectErrors += 1;
          cutAt ??= Date.now();
          await sleep(200);
          continue;
        }
        if (stream.status !== 200) {
          await stream.untilEnd(30_000);
          history.push(`${stream.status} ${stream.text.slice(0, 200)}`);
          tally.add(stream.status, stream.json?.error?.code ?? 'non-json');
          if (stream.status !== 503) throw new Error(`SSE stream ${n}: ${history.join(' | ')}`);
          cutAt ??= Date.now();
          await sleep(250);
          continue;
        }
        tally.add(200);
        if (resuming) stats.resumes += 1;
        if (!dropped) {
          // A client that goes away after a few events and comes back: its resume lands on
          // another replica (round robin), which follows the reply through Redis.
          await Promise.race([stream.finished, stream.waitForFrames(3, 60_000).catch(() => null)]);
          if (!stream.ended) {
            stream.disconnect();
            dropped = true;
          }
        }
        await stream.waitForFrames(1, 60_000).then(
          () => noteGap(cutAt),
          () => undefined,
        );
        await stream.untilEnd(90_000);
        const fresh = stream.frames;
        if (!resuming && fresh.length > 0 && frames.length > 0) {
          // An idempotent retry of the send answers the reply from its first event.
          frames.length = 0;
        }
        frames.push(...fresh);
        messageId ??= frames[0]?.data.message_id as string | undefined;
        const last = frames.at(-1)?.data.type;
        if (last === 'end' || last === 'error') {
          return {
            kind: 'sse',
            conversationId: conv.id,
            model: conv.model,
            content,
            messageId: messageId!,
            userMessageId: frames[0].data.user_message_id as string,
            events: sseEvents(frames),
            token: user.token,
          };
        }
        history.push(
          `200 ${String(stream.headers[SERVED_BY])} ${resuming ? 'resume' : 'send'}: ` +
            `${stream.frames.length} frames, ${stream.disconnected ? 'left' : 'cut'} ` +
            stream.text.slice(0, 120),
        );
        if (!stream.disconnected) stats.drops += 1;
        cutAt = Date.now();
      }
      throw new Error(`SSE stream ${n} did not end: ${history.slice(-8).join(' | ')}`);
    }

    /** One WebSocket reply: sent over a socket; on a closed socket, a new one resumes it. */
    async function wsStream(
      user: User,
      conv: { id: string; model: string },
      n: number,
    ): Promise<Outcome> {
      const content = question(n);
      const requestId = `load-${n}-${randomBytes(3).toString('hex')}`;
      const frames: WsFrame[] = [];
      let messageId: string | undefined;
      let userMessageId: string | undefined;
      let cutAt: number | undefined;
      const terminal = (f: WsFrame) =>
        (f.type === 'message_end' || f.type === 'error') &&
        (f.request_id === requestId || (messageId !== undefined && f.message_id === messageId));
      const history: string[] = [];
      for (let attempt = 0; attempt < 60; attempt++) {
        const ws = new WsClient(chatWsUrl(base, `?token=${user.token}`));
        const opened = await ws.opened.then(
          () => true,
          () => false,
        );
        if (!opened) {
          history.push(`refused ${String(ws.refusedStatus)} at ${new Date().toISOString()}`);
          if (ws.refusedStatus !== undefined) tally.add(ws.refusedStatus, 'upgrade');
          else stats.connectErrors += 1;
          cutAt ??= Date.now();
          await sleep(250);
          continue;
        }
        tally.add(101);
        const resuming = messageId !== undefined;
        if (resuming) {
          stats.resumes += 1;
          ws.send({ type: 'resume', message_id: messageId, after: frames.at(-1)?.seq ?? 0 });
        } else {
          ws.send({
            type: 'chat_message',
            conversation_id: conv.id,
            content,
            request_id: requestId,
          });
        }
        const learn = (f: WsFrame) => {
          if (f.type === 'message_start' && f.request_id === requestId) {
            messageId = f.message_id as string;
            userMessageId = f.user_message_id as string;
          }
          return false;
        };
        await ws
          .waitFor((f) => f.request_id === requestId || f.message_id === messageId, {
            timeoutMs: 60_000,
          })
          .then(
            () => noteGap(cutAt),
            () => undefined,
          );
        await ws
          .waitFor((f) => learn(f) || terminal(f), { timeoutMs: 90_000 })
          .catch(() => undefined);
        for (const f of ws.frames) {
          learn(f);
          if (f.type === 'error' && f.seq === undefined && f.request_id === requestId) {
            // A refusal before anything started (a draining replica): sent again elsewhere.
            tally.add(503, String(f.error?.code));
            if (f.error?.code !== 'SERVICE_UNAVAILABLE') {
              throw new Error(`WebSocket stream ${n} refused: ${JSON.stringify(f)}`);
            }
          }
        }
        const mine = ws.frames.filter((f) => f.seq !== undefined && f.message_id === messageId);
        if (!resuming && mine.length > 0 && frames.length > 0) frames.length = 0;
        frames.push(...mine);
        await ws.close();
        const last = frames.at(-1);
        if (last && (last.type === 'message_end' || last.type === 'error')) {
          return {
            kind: 'ws',
            conversationId: conv.id,
            model: conv.model,
            content,
            messageId: messageId!,
            userMessageId: userMessageId!,
            events: wsEvents(frames),
            token: user.token,
          };
        }
        history.push(
          `${resuming ? 'resume' : 'send'}: ${mine.length} frames, close ` +
            `${String(ws.closeInfo?.code)}, ${JSON.stringify(ws.frames.slice(-2)).slice(0, 200)}`,
        );
        stats.drops += 1;
        cutAt = Date.now();
        await sleep(100);
      }
      throw new Error(`WebSocket stream ${n} did not end: ${history.slice(-8).join(' | ')}`);
    }

    it('150 streams (100 SSE, 50 WebSocket) while each replica in turn is stopped and started again', async () => {
      const users = await Promise.all(Array.from({ length: USERS }, () => register(base)));
      const clients = SSE_CLIENTS + WS_CLIENTS;
      const conversations = await Promise.all(
        Array.from({ length: clients }, (_, i) => conversation(base, users[i % USERS])),
      );
      const outcomes: Outcome[] = [];
      let counter = 100;
      // Each client runs one reply after another until the restarts are over.
      const runClientLoop = async (i: number) => {
        const user = users[i % USERS];
        const conv = conversations[i];
        do {
          const n = counter++;
          outcomes.push(
            i < SSE_CLIENTS
              ? await sseStream(user, conv, n, i % 2 === 0)
              : await wsStream(user, conv, n),
          );
        } while (restarting);
      };
      const load = Promise.all(Array.from({ length: clients }, (_, i) => runClientLoop(i)));

      await sleep(3000);
      const restarts: { name: string; exitCode: number | null; drainMs: number; backMs: number }[] =
        [];
      const began = Date.now();
      for (let i = 0; i < cluster.replicas.length; i++) {
        const { name, port } = cluster.backends[i];
        const t0 = Date.now();
        const exitCode = await cluster.replicas[i].stop();
        const drainMs = Date.now() - t0;
        await cluster.replicas[i].dispose();
        cluster.replicas[i] = await startService(cluster.env, { port, readyTimeoutMs: 120_000 });
        await waitForBackends(base, [name]);
        restarts.push({ name, exitCode, drainMs, backMs: Date.now() - t0 });
        process.stderr.write(
          `${new Date().toISOString()} ${name} back after ${Date.now() - t0} ms\n`,
        );
      }
      const restartMs = Date.now() - began;
      restarting = false;
      await load;

      // Every reply the API acknowledged (its start event) is stored, read back through the LB.
      let missing = 0;
      for (const o of outcomes) {
        const listed = await call(
          base,
          'GET',
          `/conversations/${o.conversationId}/messages?size=100`,
          o.token,
        );
        tally.add(listed.status);
        const messages = listed.body.data.messages as {
          id: string;
          status: string;
          content: string;
        }[];
        const reply = messages.find((m) => m.id === o.messageId);
        if (!reply || !messages.some((m) => m.id === o.userMessageId)) missing += 1;
        else
          expect(reply).toMatchObject({
            status: 'completed',
            content: expectedReply(o.content, o.model),
          });
      }

      const sse = outcomes.filter((o) => o.kind === 'sse').length;
      const drains = restarts.map((r) => `${r.name} ${r.drainMs}/${r.backMs} ms`).join(', ');
      console.log(
        `rolling restart under load: ${outcomes.length} streams (${sse} SSE, ${outcomes.length - sse} WebSocket) ` +
          `from ${clients} concurrent clients; ${stats.resumes} resumes (${stats.drops} dropped ` +
          `connections, ${stats.connectErrors} connection errors); 503 while draining: ` +
          `${tally.count('503')}; restarts ${restartMs} ms in all (SIGTERM→exit / SIGTERM→back ` +
          `in rotation: ${drains}); max gap drop→next event ${stats.maxGapMs} ms; answers ` +
          JSON.stringify(Object.fromEntries(tally.counts)),
      );

      // HAProxy logs only abnormal sessions: client-side aborts (the deliberate drops) and the
      // 503s of draining replicas; a `<NOSRV>` line would be the proxy's own 503 (no replica up).
      const proxy5xx = cluster.lb
        .output()
        .split('\n')
        .filter((l) => / 5\d\d /.test(l));
      const noReplica = proxy5xx.filter((l) => l.includes('<NOSRV>')).length;
      console.log(
        `haproxy: ${proxy5xx.length} sessions answered 5xx, ${noReplica} of them by the proxy itself`,
      );
      expect(restarts.map((r) => r.exitCode)).toEqual([0, 0, 0]);
      for (const o of outcomes) {
        expectExactlyOnce(o.events, expectedReply(o.content, o.model), `${o.kind} ${o.messageId}`);
      }
      expect(missing).toBe(0);
      expect(tally.undocumented5xx()).toEqual([]);
      // WebSocket upgrades refused 503 are told apart here: none came from HAProxy itself.
      expect(noReplica).toBe(0);
      expect(outcomes.length).toBeGreaterThanOrEqual(clients);
      // The restarts really ran under load: some clients had to come back.
      expect(stats.resumes).toBeGreaterThan(0);
    }, 300_000);
  });
});

describeCluster('Limits held across three replicas behind HAProxy', () => {
  let cluster: Cluster;
  let base: string;

  beforeAll(async () => {
    cluster = await startCluster({
      ...BASE_ENV,
      OFFLINE_TOKEN_DELAY_MS: '0',
      RATE_LIMIT_MESSAGES: '7',
      QUOTA_NORMAL_DAILY_REQUESTS: '5',
    });
    base = cluster.lb.url;
  }, 180_000);

  afterAll(async () => {
    expect(await stopCluster(cluster)).toEqual([0, 0, 0]);
  }, 60_000);

  /** Sends `count` messages at once, each in its own conversation. */
  async function spray(user: User, count: number) {
    const conversations = await Promise.all(
      Array.from({ length: count }, () => conversation(base, user)),
    );
    return Promise.all(
      conversations.map((c, i) =>
        call(base, 'POST', `/conversations/${c.id}/messages`, user.token, {
          content: `spray ${i}`,
        }),
      ),
    );
  }

  it('gives one user spraying the three replicas exactly the messages rate limit (7)', async () => {
    const user = await register(base);
    // A VIP (200 requests a day) so that the quota of 5 does not decide first; a new login
    // gives a session that carries the tier.
    const db = new Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
    try {
      await db.query('UPDATE users SET is_vip = true WHERE id = $1', [user.id]);
    } finally {
      await db.end();
    }
    const login = await call(base, 'POST', '/auth/login', undefined, {
      username: user.username,
      password: user.password,
    });
    const vip = { ...user, token: login.body.data.access_token as string };
    const answers = await spray(vip, 20);
    const statuses = answers.map((a) => `${a.status} ${a.body?.error?.code ?? ''}`.trim());
    expect(statuses.filter((s) => s === '201')).toHaveLength(7);
    expect(statuses.filter((s) => s === '429 RATE_LIMIT_EXCEEDED')).toHaveLength(13);
    expect(new Set(answers.map((a) => a.servedBy))).toEqual(
      new Set(['replica1', 'replica2', 'replica3']),
    );
  }, 60_000);

  it('gives a fresh user exactly the daily request quota (5) across the three, sent at once', async () => {
    const user = await register(base);
    const answers = await spray(user, 7);
    const statuses = answers.map((a) => `${a.status} ${a.body?.error?.code ?? ''}`.trim());
    expect(statuses.filter((s) => s === '201')).toHaveLength(5);
    expect(statuses.filter((s) => s === '429 QUOTA_EXCEEDED')).toHaveLength(2);
    expect(new Set(answers.map((a) => a.servedBy))).toEqual(
      new Set(['replica1', 'replica2', 'replica3']),
    );
    const quota = await call(base, 'GET', '/users/me/quota', user.token);
    expect(quota.body.data.usage_today.requests).toBe(5);
  }, 60_000);
});
