import { randomUUID } from 'node:crypto';
import * as jwt from 'jsonwebtoken';
import WebSocket from 'ws';
import {
  ApiError,
  createClient,
  type ClientOptions,
  type FetchLike,
  type ReplyFrame,
  type ServerFrame,
  type StateChange,
  type StreamEvent,
  type Tokens,
} from '../../clients/typescript/src/index.ts';
import { EVENT_BUS } from '../../src/redis/event-bus';
import { bootApp, TEST_JWT_SECRET, TestApp } from '../support/app';
import { until } from '../support/expect';
import { FakeOpenAi, fakeOpenAiEnv, startFakeOpenAi } from '../support/fake-openai';
import { TITLES_OFF } from '../support/titles';

// The SDK of clients/typescript against the whole service on a real port: the fake model
// behind it, PGlite or PostgreSQL + Redis as the run gives. Connections are cut on the client
// side (a fetch whose body fails mid-stream, a socket terminated or gone silent), as a network
// drop looks to a browser.

const words = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => `${tag}${i}`).join(' ');

interface Call {
  method: string;
  url: string;
  headers: Record<string, string>;
  status: number;
  requestId: string | null;
}

/**
 * A fetch that records every request and, for the next event-stream answers planned with
 * `cut(n)`, lets `n` whole events through, then half of the next one, then fails the body as a
 * dropped connection does (and hangs up on the service).
 */
function recordingFetch() {
  const calls: Call[] = [];
  const plan: number[] = [];
  const fetchImpl: FetchLike = async (url, init) => {
    const call: Call = {
      method: init?.method ?? 'GET',
      url,
      headers: Object.fromEntries(new Headers(init?.headers).entries()),
      status: 0,
      requestId: null,
    };
    calls.push(call);
    const response = await fetch(url, init);
    call.status = response.status;
    call.requestId = response.headers.get('x-request-id');
    const stream = response.headers.get('content-type')?.startsWith('text/event-stream');
    if (!stream || !response.body || plan.length === 0) return response;
    return new Response(cutAfter(response.body, plan.shift()!), {
      status: response.status,
      headers: response.headers,
    });
  };
  return {
    fetch: fetchImpl,
    calls,
    cut: (...events: number[]) => plan.push(...events),
    to: (method: string, pattern: RegExp) =>
      calls.filter((c) => c.method === method && pattern.test(new URL(c.url).pathname)),
  };
}

function cutAfter(body: ReadableStream<Uint8Array>, events: number): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let text = '';
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) {
        controller.close();
        return;
      }
      text += decoder.decode(value, { stream: true });
      let end = 0;
      let whole = 0;
      while (whole < events) {
        const at = text.indexOf('\n\n', end);
        if (at === -1) break;
        end = at + 2;
        whole++;
      }
      if (whole < events) {
        controller.enqueue(encoder.encode(text.slice(sent)));
        sent = text.length;
        return;
      }
      const next = text.indexOf('\n\n', end);
      const half = end + Math.floor(((next === -1 ? text.length : next) - end) / 2);
      if (half > sent) controller.enqueue(encoder.encode(text.slice(sent, half)));
      controller.error(new TypeError('connection cut by the test'));
      await reader.cancel();
    },
    cancel: () => reader.cancel(),
  });
}

/** The `ws` class, recording each socket and the frames the client sends on it. */
class TrackedSocket extends WebSocket {
  static instances: TrackedSocket[] = [];
  readonly sent: Record<string, unknown>[] = [];
  constructor(url: string, protocols?: string | string[]) {
    super(url, protocols);
    TrackedSocket.instances.push(this);
  }
  override send(data: string): void {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
    super.send(data);
  }
}

const contentOf = (events: StreamEvent[]) =>
  events.map((e) => (e.type === 'content' ? e.content : '')).join('');
const idsOf = (events: StreamEvent[]) => events.map((e) => e.id);
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** The promise's rejection (fails when it resolves). */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('TypeScript client (clients/typescript) against the service', () => {
  let fake: FakeOpenAi;
  let t: TestApp;
  const sockets: { close(): void }[] = [];

  beforeAll(async () => {
    fake = await startFakeOpenAi();
    t = await bootApp({
      ...TITLES_OFF,
      ...fakeOpenAiEnv(fake),
      JWT_ACCESS_TTL: undefined,
      WS_HEARTBEAT_MS: undefined,
      CORS_ORIGINS: undefined,
    });
    await t.app.get<unknown, { ready?: () => Promise<void> }>(EVENT_BUS).ready?.();
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.close();
    // Connections the client left behind (a silent one) are ended here, not by a timeout.
    for (const ws of TrackedSocket.instances) ws.terminate();
    TrackedSocket.instances = [];
    fake.reset();
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  const clientWith = (options: Partial<ClientOptions> = {}) => {
    const recorder = recordingFetch();
    const client = createClient({
      baseUrl: t.url,
      fetch: recorder.fetch,
      WebSocket: TrackedSocket,
      ...options,
    });
    return { client, recorder };
  };
  let userCount = 0;
  const signedIn = async (options: Partial<ClientOptions> = {}) => {
    const made = clientWith(options);
    const name = `sdk_${process.pid}_${++userCount}_${randomUUID().slice(0, 6)}`;
    const password = `pass-${randomUUID()}`;
    await made.client.auth.register({
      username: name,
      email: `${name}@example.com`,
      password,
      confirm_password: password,
    });
    return { ...made, name, password };
  };
  const scriptText = (text: string, chunkIntervalMs = 10) =>
    fake.setDefault({ text, chunkIntervalMs });

  describe('REST', () => {
    it('registers, signs out and in again, and keeps the tokens with onTokens told of each change', async () => {
      const seen: (Tokens | null)[] = [];
      const { client, name, password } = await signedIn({
        onTokens: (tokens) => seen.push(tokens),
      });
      expect(seen).toHaveLength(1);
      const me = await client.me();
      expect(me.username).toBe(name);

      await client.auth.logout();
      expect(seen.at(-1)).toBeNull();
      expect(await client.auth.getTokens()).toBeNull();
      const refused = await rejectionOf(client.me());
      expect(refused).toBeInstanceOf(ApiError);
      expect(refused).toMatchObject({ status: 401, code: 'AUTHENTICATION_ERROR' });

      const login = await client.auth.login(name, password);
      expect(login.user.username).toBe(name);
      expect(seen.at(-1)?.accessToken).toBe(login.access_token);
      expect((await client.me()).username).toBe(name);

      const wrong = await rejectionOf(client.auth.login(name, 'not-the-password'));
      expect(wrong).toMatchObject({ status: 401, code: 'AUTHENTICATION_ERROR' });
    });

    it('covers the conversation flows: create, list, get, update, archive, delete', async () => {
      const { client } = await signedIn();
      const conversation = await client.conversations.create({ title: 'First' });
      expect(conversation).toMatchObject({ title: 'First', message_count: 0 });
      const listed = await client.conversations.list({ page: 1, size: 10 });
      expect(listed.conversations.map((c) => c.id)).toEqual([conversation.id]);
      expect(listed.pagination).toMatchObject({ page: 1, size: 10, total: 1 });

      const renamed = await client.conversations.update(conversation.id, { title: 'Renamed' });
      expect(renamed.title).toBe('Renamed');
      expect((await client.conversations.get(conversation.id)).title).toBe('Renamed');

      await client.conversations.archive(conversation.id);
      expect((await client.conversations.list({ archived: false })).conversations).toEqual([]);
      await client.conversations.unarchive(conversation.id);
      expect((await client.conversations.list()).conversations).toHaveLength(1);

      await client.conversations.delete(conversation.id);
      const gone = await rejectionOf(client.conversations.get(conversation.id));
      expect(gone).toMatchObject({ status: 404, code: 'RESOURCE_NOT_FOUND' });
    });

    it('reaches any route through request(), typed from openapi.json, envelope or not', async () => {
      const { client } = await signedIn();
      const live = await client.request('GET', '/api/v1/health/live');
      expect(live).toMatchObject({ status: 'ok' });
      const models = await client.request('GET', '/api/v1/models');
      expect(models.models.length).toBeGreaterThan(0);
      const quota = await client.request('GET', '/api/v1/users/me/quota');
      expect(quota.remaining_today).toBeDefined();
      const created = await client.request('POST', '/api/v1/conversations', { body: {} });
      const detail = await client.request('GET', '/api/v1/conversations/{id}', {
        path: { id: created.id },
      });
      expect(detail.messages).toEqual([]);

      // Wrong calls do not compile (npm run typecheck checks these lines).
      // @ts-expect-error: no DELETE on the quota
      await expect(client.request('DELETE', '/api/v1/users/me/quota')).rejects.toThrow();
      // @ts-expect-error: the conversation id is missing
      await expect(client.request('GET', '/api/v1/conversations/{id}')).rejects.toThrow();
      const neverCalled = () =>
        // @ts-expect-error: a send needs a body
        client.request('POST', '/api/v1/conversations/{id}/messages', { path: { id: created.id } });
      expect(typeof neverCalled).toBe('function');
    });

    it('throws typed ApiErrors: code, status, details and the request id of a 422 and a 404', async () => {
      const { client, recorder } = await signedIn();
      const invalid = await rejectionOf(client.conversations.create({ title: 'x'.repeat(201) }));
      expect(invalid).toBeInstanceOf(ApiError);
      const error = invalid as ApiError;
      expect(error).toMatchObject({ status: 422, code: 'VALIDATION_ERROR' });
      expect(error.details?.field).toBe('title');
      expect(error.requestId).toBeTruthy();
      expect(error.requestId).toBe(recorder.calls.at(-1)!.requestId);

      // A request id of the caller's own is echoed, and carried by the error.
      const missing = await rejectionOf(
        client.request('GET', '/api/v1/conversations/{id}', {
          path: { id: randomUUID() },
          headers: { 'x-request-id': 'sdk-test-404' },
        }),
      );
      expect(missing).toMatchObject({
        status: 404,
        code: 'RESOURCE_NOT_FOUND',
        requestId: 'sdk-test-404',
      });
      const bad = await rejectionOf(client.conversations.get('not-a-uuid'));
      expect(bad).toMatchObject({ status: 400, code: 'VALIDATION_ERROR' });
    });

    it('uploads a file and reads it back', async () => {
      const { client } = await signedIn();
      const text = 'Notes for the model.\nSecond line.\n';
      const file = await client.files.upload(new Blob([text], { type: 'text/plain' }), 'notes.txt');
      expect(file).toMatchObject({ filename: 'notes.txt', kind: 'text', size: text.length });
      const content = await client.files.content(file.id);
      expect(await content.text()).toBe(text);
      expect((await client.files.list()).files.map((f) => f.id)).toEqual([file.id]);
      await client.files.delete(file.id);
      expect(await rejectionOf(client.files.get(file.id))).toMatchObject({ status: 404 });
    });
  });

  describe('Token refresh', () => {
    /** An access token of the same session that expired a minute ago. */
    const expired = (accessToken: string) => {
      const claims = jwt.decode(accessToken) as { sub: string; sid: string; typ: string };
      const now = Math.floor(Date.now() / 1000);
      return jwt.sign(
        { sub: claims.sub, sid: claims.sid, typ: claims.typ, iat: now - 3600, exp: now - 60 },
        TEST_JWT_SECRET,
        { algorithm: 'HS256' },
      );
    };

    it('concurrent calls refused for an expired access token share exactly one refresh, then succeed', async () => {
      const seen: (Tokens | null)[] = [];
      const { client, recorder, name } = await signedIn({
        onTokens: (tokens) => seen.push(tokens),
      });
      const held = (await client.auth.getTokens())!;
      await client.auth.setTokens({
        accessToken: expired(held.accessToken),
        refreshToken: held.refreshToken,
      });
      const before = recorder.calls.length;

      const answers = await Promise.all([
        client.me(),
        client.conversations.list(),
        client.conversations.create({ title: 'during the refresh' }),
        client.request('GET', '/api/v1/users/me/quota'),
        client.files.list(),
        client.me(),
      ]);
      expect(answers[0].username).toBe(name);

      const calls = recorder.calls.slice(before);
      const refreshes = calls.filter((c) => new URL(c.url).pathname === '/api/v1/auth/refresh');
      expect(refreshes).toHaveLength(1);
      expect(refreshes[0].status).toBe(200);
      // Every call was first refused for the old token, then sent again once.
      expect(calls.filter((c) => c.status === 401)).toHaveLength(6);
      expect(calls.filter((c) => c.status >= 200 && c.status < 300)).toHaveLength(6 + 1);
      const renewed = (await client.auth.getTokens())!;
      expect(renewed.refreshToken).not.toBe(held.refreshToken);
      expect(seen.at(-1)).toEqual(renewed);
      expect(client.tokens.refreshes).toBe(1);
    });

    it('two tabs sharing a storage and a lock (Web Locks) refresh once: the second takes the stored pair', async () => {
      const { client: signIn } = await signedIn();
      const held = (await signIn.auth.getTokens())!;
      let kept: Tokens | null = {
        accessToken: expired(held.accessToken),
        refreshToken: held.refreshToken,
      };
      const storage = { load: () => kept, save: (tokens: Tokens | null) => void (kept = tokens) };
      // A browser's part: `document`, and `navigator.locks` granting each name in request order.
      const tails = new Map<string, Promise<unknown>>();
      const lockNames: string[] = [];
      const locks = {
        request<T>(name: string, callback: () => Promise<T>): Promise<T> {
          lockNames.push(name);
          const run = (tails.get(name) ?? Promise.resolve()).then(callback, callback);
          tails.set(
            name,
            run.catch(() => undefined),
          );
          return run;
        },
      };
      const scope = globalThis as Record<string, unknown>;
      const saved = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
      Object.defineProperty(globalThis, 'navigator', {
        value: { locks },
        configurable: true,
        writable: true,
      });
      scope.document = {};
      try {
        const recorder = recordingFetch();
        const tab = () => createClient({ baseUrl: t.url, fetch: recorder.fetch, storage });
        const [a, b] = [tab(), tab()];
        const [meA, meB] = await Promise.all([a.me(), b.me()]);
        expect(meB.id).toBe(meA.id);
        expect(recorder.to('POST', /\/auth\/refresh$/)).toHaveLength(1);
        expect(a.tokens.refreshes + b.tokens.refreshes).toBe(1);
        expect(lockNames).toEqual([
          `chat-assistant-refresh ${t.url}`,
          `chat-assistant-refresh ${t.url}`,
        ]);
        expect((await a.auth.getTokens())?.accessToken).toBe(kept?.accessToken);
        expect((await b.auth.getTokens())?.accessToken).toBe(kept?.accessToken);
      } finally {
        delete scope.document;
        if (saved) Object.defineProperty(globalThis, 'navigator', saved);
        else delete scope.navigator;
      }
    });

    it('a refresh token that is refused drops the tokens and the call fails with the 401', async () => {
      const seen: (Tokens | null)[] = [];
      const { client, recorder } = await signedIn({ onTokens: (tokens) => seen.push(tokens) });
      const held = (await client.auth.getTokens())!;
      await client.auth.setTokens({
        accessToken: expired(held.accessToken),
        refreshToken: 'not-a-refresh-token',
      });
      const results = await Promise.allSettled([client.me(), client.conversations.list()]);
      for (const result of results) {
        expect(result.status).toBe('rejected');
        expect((result as PromiseRejectedResult).reason).toMatchObject({
          status: 401,
          code: 'AUTHENTICATION_ERROR',
        });
      }
      expect(recorder.to('POST', /\/auth\/refresh$/)).toHaveLength(1);
      expect(seen.at(-1)).toBeNull();
    });
  });

  describe('Streams (SSE)', () => {
    it('sends a message and gets the whole reply', async () => {
      const text = words(12, 'whole');
      scriptText(text, 0);
      const { client } = await signedIn();
      const conversation = await client.conversations.create();
      const sent = await client.messages.send(conversation.id, { content: 'Hello' });
      expect(sent.assistant_message.content).toBe(text);
      expect(sent.usage.total_tokens).toBeGreaterThan(0);
      const listed = await client.messages.list(conversation.id, { order: 'asc' });
      expect(listed.messages.map((m) => [m.role, m.content])).toEqual([
        ['user', 'Hello'],
        ['assistant', text],
      ]);
    });

    it('streams start, every content event once, and end, numbered 1…n', async () => {
      const text = words(25, 'once');
      scriptText(text);
      const { client } = await signedIn();
      const conversation = await client.conversations.create();
      const stream = client.stream(conversation.id, { content: 'Stream it' });
      const { events, text: received } = await stream.collect();
      expect(received).toBe(text);
      expect(events[0]).toMatchObject({ type: 'start', id: 1, conversation_id: conversation.id });
      expect(events.at(-1)).toMatchObject({ type: 'end', stopped: false });
      expect(idsOf(events)).toEqual(range(1, events.length));
      expect(stream.connections).toBe(1);
      expect(stream.messageId).toBe(events[0].type === 'start' ? events[0].message_id : '');
      const stored = await client.conversations.get(conversation.id);
      expect(stored.messages.at(-1)).toMatchObject({ id: stream.messageId, content: text });
    });

    it('a connection dropped mid-stream resumes with Last-Event-ID: every event once, the whole text', async () => {
      const text = words(40, 'drop');
      scriptText(text, 15);
      const { client, recorder } = await signedIn();
      const conversation = await client.conversations.create();
      recorder.cut(5);
      const stream = client.stream(conversation.id, { content: 'Cut me' }, { retryDelayMs: 20 });
      const { events, text: received } = await stream.collect();

      expect(received).toBe(text);
      expect(idsOf(events)).toEqual(range(1, events.length));
      expect(events.at(-1)).toMatchObject({ type: 'end', stopped: false });
      expect(stream.connections).toBe(2);
      const resumes = recorder.to('GET', /\/messages\/[^/]+\/stream$/);
      expect(resumes).toHaveLength(1);
      expect(resumes[0].url).toContain(
        `/conversations/${conversation.id}/messages/${stream.messageId}/stream`,
      );
      expect(resumes[0].headers['last-event-id']).toBe('5');
      // One send, one reply.
      expect(recorder.to('POST', /\/messages\/stream$/)).toHaveLength(1);
      expect((await client.conversations.get(conversation.id)).messages).toHaveLength(2);
    });

    it('a connection dropped before the first event sends again with the same Idempotency-Key: one reply', async () => {
      const text = words(20, 'early');
      scriptText(text, 10);
      const { client, recorder } = await signedIn();
      const conversation = await client.conversations.create();
      recorder.cut(0);
      const stream = client.stream(conversation.id, { content: 'Early cut' }, { retryDelayMs: 20 });
      const { events, text: received } = await stream.collect();
      expect(received).toBe(text);
      expect(idsOf(events)).toEqual(range(1, events.length));
      const sends = recorder.to('POST', /\/messages\/stream$/);
      expect(sends).toHaveLength(2);
      expect(sends[0].headers['idempotency-key']).toBeTruthy();
      expect(sends[1].headers['idempotency-key']).toBe(sends[0].headers['idempotency-key']);
      const messages = (await client.messages.list(conversation.id, { branch: 'all' })).messages;
      expect(messages).toHaveLength(2);
    });

    it('stop() ends the stream with end, stopped: true, and the text kept is what was streamed', async () => {
      scriptText(words(200, 'slow'), 25);
      const { client } = await signedIn();
      const conversation = await client.conversations.create();
      const stream = client.stream(conversation.id, { content: 'Stop me' });
      const events: StreamEvent[] = [];
      let stopped: Awaited<ReturnType<typeof stream.stop>> | undefined;
      for await (const event of stream) {
        events.push(event);
        if (event.type === 'content' && !stopped && contentOf(events).split(' ').length >= 3) {
          stopped = await stream.stop();
        }
      }
      expect(stopped?.status).toBe('stopped');
      expect(events.at(-1)).toMatchObject({ type: 'end', stopped: true });
      expect(idsOf(events)).toEqual(range(1, events.length));
      const received = contentOf(events);
      expect(received.split(' ').length).toBeLessThan(200);
      const stored = await client.conversations.get(conversation.id);
      expect(stored.messages.at(-1)).toMatchObject({ status: 'stopped', content: received });
    });

    it('an AbortSignal ends the reading; the reply goes on and resumeStream() gets the rest once', async () => {
      const text = words(40, 'abort');
      scriptText(text, 15);
      const { client } = await signedIn();
      const conversation = await client.conversations.create();
      const controller = new AbortController();
      const stream = client.stream(
        conversation.id,
        { content: 'Abort' },
        { signal: controller.signal },
      );
      const events: StreamEvent[] = [];
      const reason = new Error('the user left');
      const thrown = await rejectionOf(
        (async () => {
          for await (const event of stream) {
            events.push(event);
            if (events.length === 4) controller.abort(reason);
          }
        })(),
      );
      expect(thrown).toBe(reason);
      expect(events).toHaveLength(4);

      const rest = await client
        .resumeStream(conversation.id, stream.messageId!, stream.lastEventId)
        .collect();
      const all = [...events, ...rest.events];
      expect(idsOf(all)).toEqual(range(1, all.length));
      expect(contentOf(all)).toBe(text);
    });

    it('a refusal before the stream opens is an ApiError, not a stream', async () => {
      const { client } = await signedIn();
      const error = await rejectionOf(
        client.stream(randomUUID(), { content: 'Nobody there' }).collect(),
      );
      expect(error).toMatchObject({ status: 404, code: 'RESOURCE_NOT_FOUND' });
      expect((error as ApiError).requestId).toBeTruthy();
    });
  });

  describe('WebSocket', () => {
    const collect = (follow: AsyncIterable<ReplyFrame>) =>
      (async () => {
        const frames: ReplyFrame[] = [];
        for await (const frame of follow) frames.push(frame);
        return frames;
      })();
    const seqsOf = (frames: ReplyFrame[]) => frames.map((f) => ('seq' in f ? f.seq : undefined));
    const textOf = (frames: ReplyFrame[]) =>
      frames.map((f) => (f.type === 'message_content' ? f.content : '')).join('');

    it('chats over a ticket, with ping/pong heartbeats', async () => {
      const text = words(15, 'socket');
      scriptText(text, 5);
      const { client, recorder } = await signedIn();
      const conversation = await client.conversations.create();
      const socket = client.connect({ heartbeatMs: 100 });
      sockets.push(socket);
      const pongs: ServerFrame[] = [];
      socket.on('pong', (frame) => pongs.push(frame));
      await socket.opened();
      expect(recorder.to('POST', /\/auth\/ws-ticket$/)).toHaveLength(1);
      const frames = await collect(socket.chat(conversation.id, 'Over the socket'));
      expect(frames[0]).toMatchObject({ type: 'message_start', conversation_id: conversation.id });
      expect(frames.at(-1)).toMatchObject({ type: 'message_end', stopped: false });
      expect(textOf(frames)).toBe(text);
      await until(() => pongs.length >= 2, 5000, 'two pongs');
    });

    it('a connection cut mid-reply reconnects and resumes the reply: every frame once, the whole text', async () => {
      const text = words(60, 'again');
      scriptText(text, 20);
      const { client } = await signedIn();
      const conversation = await client.conversations.create();
      const socket = client.connect({ reconnectDelayMs: 50 });
      sockets.push(socket);
      const states: StateChange[] = [];
      const seqs: number[] = [];
      let lastSeqBeforeReopen: number | undefined;
      socket.onState((change) => {
        states.push(change);
        if (change.state === 'open') lastSeqBeforeReopen = seqs.at(-1);
      });
      socket.onFrame((frame) => {
        if ('seq' in frame && frame.seq !== undefined) seqs.push(frame.seq);
      });
      await socket.opened();
      const follow = socket.chat(conversation.id, 'Reconnect me');
      const frames: ReplyFrame[] = [];
      let cutAt: number | undefined;
      for await (const frame of follow) {
        frames.push(frame);
        if (frame.type === 'message_content' && cutAt === undefined && frames.length === 6) {
          cutAt = frame.seq;
          TrackedSocket.instances[0].terminate();
        }
      }
      expect(cutAt).toBe(6);
      expect(textOf(frames)).toBe(text);
      expect(seqsOf(frames)).toEqual(range(1, frames.length));
      expect(frames.at(-1)).toMatchObject({ type: 'message_end', stopped: false });
      expect(socket.connections).toBe(2);
      expect(states.map((s) => s.state)).toEqual(['open', 'reconnecting', 'open']);
      const resume = TrackedSocket.instances[1].sent.find((f) => f.type === 'resume');
      expect(lastSeqBeforeReopen).toBeGreaterThanOrEqual(6);
      expect(resume).toEqual({
        type: 'resume',
        message_id: follow.messageId,
        after: lastSeqBeforeReopen,
      });
      // Every frame reached the listeners once too.
      expect(seqs).toEqual(range(1, seqs.length));
    });

    it('a connection gone silent is noticed by the heartbeat, replaced, and the reply resumed', async () => {
      const text = words(60, 'silent');
      scriptText(text, 20);
      const { client } = await signedIn();
      const conversation = await client.conversations.create();
      const socket = client.connect({
        heartbeatMs: 100,
        heartbeatTimeoutMs: 300,
        reconnectDelayMs: 50,
      });
      sockets.push(socket);
      await socket.opened();
      const follow = socket.chat(conversation.id, 'Go quiet');
      const frames: ReplyFrame[] = [];
      for await (const frame of follow) {
        frames.push(frame);
        // Nothing more arrives on the first connection, and nothing sent on it gets through.
        if (frames.length === 4) TrackedSocket.instances[0].pause();
      }
      expect(textOf(frames)).toBe(text);
      expect(seqsOf(frames)).toEqual(range(1, frames.length));
      expect(socket.connections).toBe(2);
    });

    it('stops a reply over the socket, and a signed-out session closes the socket for good', async () => {
      scriptText(words(200, 'halt'), 25);
      const { client } = await signedIn();
      const conversation = await client.conversations.create();
      const socket = client.connect({ reconnectDelayMs: 50 });
      sockets.push(socket);
      await socket.opened();
      const follow = socket.chat(conversation.id, 'Stop me');
      const frames: ReplyFrame[] = [];
      for await (const frame of follow) {
        frames.push(frame);
        if (frames.length === 3) await follow.stop();
      }
      expect(frames.at(-1)).toMatchObject({ type: 'message_end', stopped: true });

      const closed = new Promise<StateChange>((resolve) =>
        socket.onState((change) => change.state === 'closed' && resolve(change)),
      );
      await client.auth.logout();
      expect(await closed).toMatchObject({
        state: 'closed',
        code: 4401,
        reason: 'unauthenticated',
      });
    });
  });
});
