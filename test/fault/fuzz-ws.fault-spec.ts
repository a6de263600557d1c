import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { CLIENT_FRAME_TYPES, SERVER_FRAME_TYPES } from '../../src/modules/chat/ws-events';
import { aConversation, bearer, registerUser, type RegisteredUser } from '../factories';
import { bootApp, type TestApp } from '../support/app';
import {
  chatWsUrl,
  connectWs,
  closeAllWs,
  type WsClient,
  type WsFrame,
} from '../support/ws-client';
import {
  bodyFor,
  deepJsonText,
  deref,
  ERROR_CODES,
  FIELD_VALUES,
  FUZZ_CONCURRENCY,
  fuzzCases,
  HTTP_SHARE,
  leaksIn,
  openapi,
  wildJson,
  wildString,
} from './support/fuzz';

/**
 * Property-based frames over real WebSocket connections: every client frame type the server
 * defines (CLIENT_FRAME_TYPES) with random fields — ids of the user's own, another user's,
 * unknown and wild; tokens good and bad; the send body generated from SendMessageDto and
 * broken — plus raw text, JSON that is not an object, binary frames, deep nesting, invalid
 * UTF-8 and oversized frames. After each frame a `ping` must get its `pong` (frames of a socket
 * are handled in order): the socket stays open except the documented closes (1009 for a frame
 * over 64 KiB; 1007, the RFC 6455 close for invalid UTF-8 in a text frame), every frame it
 * sends is a known type, errors are `{type: "error", error: {code in the contract, message}}`
 * with no stack trace or SQL, and no error is INTERNAL_SERVER_ERROR.
 */

const TOTAL = Math.max(1, fuzzCases() - Math.round(fuzzCases() * HTTP_SHARE));
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);

type IdPick = 'own' | 'victim' | 'random' | 'upper' | { wild: unknown };
type TokenPick = 'access' | 'refresh' | 'victim' | 'garbage' | { wild: unknown };

type WsCase =
  | {
      kind: 'typed';
      type: string;
      conversationId?: IdPick;
      messageId?: IdPick;
      token?: TokenPick;
      after?: unknown;
      requestId?: unknown;
      body: unknown;
    }
  | { kind: 'text'; text: string }
  | { kind: 'binary'; bytes: Uint8Array }
  | { kind: 'invalid-utf8' }
  | { kind: 'oversized'; size: number };

const idPick: fc.Arbitrary<IdPick> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<IdPick>('own') },
  { weight: 2, arbitrary: fc.constantFrom<IdPick>('victim', 'random', 'upper') },
  { weight: 2, arbitrary: wildJson.map((wild) => ({ wild })) },
);

const tokenPick: fc.Arbitrary<TokenPick> = fc.oneof(
  fc.constantFrom<TokenPick>('access', 'refresh', 'victim', 'garbage'),
  wildJson.map((wild) => ({ wild })),
);

function wsCase(): fc.Arbitrary<WsCase> {
  const send = deref(openapi.components.schemas.SendMessageDto);
  const none = fc.constant(undefined);
  /** Mostly the fields of the frame's own type; now and then those of another one. */
  const field = <T>(own: boolean, arb: fc.Arbitrary<T>) =>
    own ? arb : fc.oneof({ weight: 9, arbitrary: none }, { weight: 1, arbitrary: arb });
  const typed = fc
    .oneof(
      { weight: 10, arbitrary: fc.constantFrom<string>(...CLIENT_FRAME_TYPES) },
      { weight: 1, arbitrary: wildString },
    )
    .chain((type) =>
      fc.record({
        kind: fc.constant('typed' as const),
        type: fc.constant(type),
        conversationId: field(type === 'chat_message', idPick),
        messageId: field(type === 'stop' || type === 'resume', idPick),
        token: field(type === 'auth', tokenPick),
        after: field(type === 'resume', fc.oneof(fc.nat({ max: 50 }), fc.constant(0), wildJson)),
        requestId: fc.option(fc.oneof(fc.uuid(), wildJson), { nil: undefined }),
        body:
          type === 'chat_message'
            ? bodyFor(send)
            : fc.oneof(
                { weight: 9, arbitrary: fc.constant({}) },
                { weight: 1, arbitrary: fc.dictionary(wildString, wildJson, { maxKeys: 2 }) },
              ),
      }),
    );
  return fc.oneof(
    { weight: 12, arbitrary: typed },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('text' as const),
        text: fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.string({ unit: 'grapheme', maxLength: 200 }),
          wildJson.map((v) => JSON.stringify(v) ?? 'null'),
          fc.constantFrom('{', '[]', 'null', '"chat_message"', '{"type":', '{"type":null}'),
          deepJsonText,
        ),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('binary' as const),
        bytes: fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc.constant(new TextEncoder().encode('{"type":"ping"}')),
        ),
      }),
    },
    { weight: 1, arbitrary: fc.constant({ kind: 'invalid-utf8' as const }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('oversized' as const),
        size: fc.integer({ min: 64 * 1024 + 1, max: 200 * 1024 }),
      }),
    },
  );
}

describe('Fuzz: WebSocket frames (/api/v1/ws/chat)', () => {
  let t: TestApp;
  let main: RegisteredUser;
  let victim: RegisteredUser;
  const own = { conversations: [] as string[], messages: [] as string[] };
  const theirs = { conversations: [] as string[], messages: [] as string[] };
  const received: WsFrame[] = [];
  const invalidFrames: string[] = [];
  const counts = new Map<string, number>();
  const closes = new Map<number, number>();

  beforeAll(async () => {
    t = await bootApp({
      LLM_PROVIDER: 'offline',
      OFFLINE_TOKEN_DELAY_MS: '0',
      QUOTA_NORMAL_DAILY_REQUESTS: '1000000',
      QUOTA_NORMAL_MONTHLY_REQUESTS: '1000000',
      QUOTA_NORMAL_DAILY_TOKENS: '100000000',
      QUOTA_NORMAL_MONTHLY_TOKENS: '100000000',
    });
    main = await registerUser(t);
    victim = await registerUser(t);
    for (const [user, pool] of [
      [main, own],
      [main, own],
      [victim, theirs],
    ] as const) {
      const conv = await aConversation(t, user);
      pool.conversations.push(conv.id);
      const res = await t
        .api()
        .post(`/api/v1/conversations/${conv.id}/messages`)
        .set(bearer(user.accessToken))
        .send({ content: 'seed' });
      pool.messages.push(res.body.data.user_message.id, res.body.data.assistant_message.id);
    }
    const models = await t.api().get('/api/v1/models');
    FIELD_VALUES.model = fc.constantFrom(
      ...(models.body.data.models as { id: string }[]).map((m) => m.id),
    );
    FIELD_VALUES.max_tokens = fc.integer({ min: 1, max: 64 });
  });

  afterAll(async () => {
    await closeAllWs();
    await t?.close();
  });

  const connect = () => connectWs(chatWsUrl(t.url, `?token=${main.accessToken}`));

  const id = (pick: IdPick, pool: 'conversations' | 'messages', n: number): unknown => {
    if (typeof pick === 'object') return pick.wild;
    const list = pick === 'victim' ? theirs[pool] : own[pool];
    if (pick === 'random') return randomUUID();
    if (pick === 'upper') return list[n % list.length].toUpperCase();
    return list[n % list.length];
  };

  const token = (pick: TokenPick): unknown => {
    if (typeof pick === 'object') return pick.wild;
    return {
      access: main.accessToken,
      refresh: main.refreshToken,
      victim: victim.accessToken,
      garbage: 'eyJhbGciOiJub25lIn0.e30.',
    }[pick];
  };

  function problemsOf(frame: WsFrame, sent: string): string[] {
    const problems: string[] = [];
    if (!(SERVER_FRAME_TYPES as readonly string[]).includes(frame.type))
      problems.push(`unknown frame type ${JSON.stringify(frame.type)}`);
    if (typeof frame.timestamp !== 'string') problems.push('no timestamp');
    if (frame.type === 'error') {
      const e = frame.error as { code?: unknown; message?: unknown } | undefined;
      if (!e || typeof e.code !== 'string' || !ERROR_CODES.includes(e.code))
        problems.push(`error code ${JSON.stringify(e?.code)} is not in the contract`);
      if (e?.code === 'INTERNAL_SERVER_ERROR') problems.push('INTERNAL_SERVER_ERROR');
      if (!e || typeof e.message !== 'string' || !e.message) problems.push('no error message');
      problems.push(...leaksIn(JSON.stringify(frame), sent));
    }
    return problems;
  }

  /** One worker: a socket of its own, reopened after a documented close. */
  async function worker(index: number, runs: number): Promise<void> {
    let ws: WsClient = await connect();
    let n = 0;
    const property = fc.asyncProperty(wsCase(), async (c) => {
      n += 1;
      if (!ws.isOpen) {
        received.push(...ws.frames);
        invalidFrames.push(...ws.invalid);
        ws = await connect();
      }
      const from = ws.frames.length;
      let sent = '';
      let expectClose: number | undefined;
      switch (c.kind) {
        case 'typed': {
          const frame: Record<string, unknown> = {
            ...(typeof c.body === 'object' && c.body !== null && !Array.isArray(c.body)
              ? c.body
              : { body: c.body }),
            type: c.type,
          };
          if (c.conversationId !== undefined)
            frame.conversation_id = id(c.conversationId, 'conversations', n);
          if (c.messageId !== undefined) frame.message_id = id(c.messageId, 'messages', n);
          if (c.token !== undefined) frame.token = token(c.token);
          if (c.after !== undefined) frame.after = c.after;
          if (c.requestId !== undefined) frame.request_id = c.requestId;
          sent = JSON.stringify(frame);
          ws.sendRaw(sent);
          break;
        }
        case 'text':
          sent = c.text;
          ws.sendRaw(c.text);
          break;
        case 'binary':
          sent = Buffer.from(c.bytes).toString('latin1');
          ws.ws.send(Buffer.from(c.bytes), { binary: true });
          break;
        case 'invalid-utf8':
          expectClose = 1007;
          ws.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
          break;
        case 'oversized':
          expectClose = 1009;
          ws.sendRaw(JSON.stringify({ type: 'ping', pad: 'x'.repeat(c.size) }));
          break;
      }
      // A frame over 64 KiB, whatever it holds, is refused with 1009 (documented).
      if (Buffer.byteLength(sent) > 64 * 1024) expectClose = 1009;
      const key =
        c.kind === 'typed'
          ? `typed:${CLIENT_FRAME_TYPES.includes(c.type as never) ? c.type : '(wild)'}`
          : c.kind;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      if (expectClose !== undefined) {
        counts.set(
          `${key}(close ${expectClose})`,
          (counts.get(`${key}(close ${expectClose})`) ?? 0) + 1,
        );
        counts.set(key, (counts.get(key) ?? 1) - 1);
        const info = await ws.waitForClose(10_000);
        closes.set(info.code, (closes.get(info.code) ?? 0) + 1);
        if (info.code !== expectClose)
          throw new Error(`${c.kind}: closed with ${info.code}, expected ${expectClose}`);
        return;
      }
      try {
        ws.send({ type: 'ping' });
        await ws.waitFor((f) => f.type === 'pong', { from, timeoutMs: 15_000, what: 'the pong' });
      } catch (error) {
        if (ws.closeInfo) closes.set(ws.closeInfo.code, (closes.get(ws.closeInfo.code) ?? 0) + 1);
        throw new Error(`after ${sent.slice(0, 300)}: ${String(error)}`, { cause: error });
      }
      const problems = ws.frames
        .slice(from)
        .flatMap((f) => problemsOf(f, sent).map((p) => `${p}: ${JSON.stringify(f).slice(0, 300)}`));
      if (problems.length) throw new Error(`after ${sent.slice(0, 300)}: ${problems.join('; ')}`);
      if (ws.invalid.length) throw new Error(`non-JSON frame from the server: ${ws.invalid[0]}`);
    });
    try {
      await fc.assert(property, { numRuns: runs, seed: SEED + index, includeErrorInReport: true });
    } finally {
      received.push(...ws.frames);
      invalidFrames.push(...ws.invalid);
      await ws.close();
    }
  }

  it(`answers ${TOTAL} generated frames in the error envelope, staying open`, async () => {
    const started = Date.now();
    const per = Math.ceil(TOTAL / FUZZ_CONCURRENCY);
    const results = await Promise.allSettled(
      Array.from({ length: FUZZ_CONCURRENCY }, (_, i) => worker(i, per)),
    );
    const seconds = (Date.now() - started) / 1000;
    const cases = [...counts.values()].reduce((a, b) => a + b, 0);
    const frameTypes = new Map<string, number>();
    for (const f of received) {
      const k = f.type === 'error' ? `error:${f.error?.code}` : f.type;
      frameTypes.set(k, (frameTypes.get(k) ?? 0) + 1);
    }
    const fmt = (m: Map<string | number, number>) =>
      [...m.entries()].map(([k, v]) => `${k}×${v}`).join(' ');
    console.log(
      [
        `[fuzz-ws] ${cases} frames (shrinking included) in ${seconds.toFixed(1)} s (${(cases / seconds).toFixed(0)}/s), ${FUZZ_CONCURRENCY} sockets, seeds ${SEED}..${SEED + FUZZ_CONCURRENCY - 1}, ${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'}`,
        `  sent: ${fmt(counts)}`,
        `  received: ${fmt(frameTypes)}`,
        `  closes: ${fmt(closes) || 'none'}`,
      ].join('\n'),
    );
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    for (const f of failures) console.error(`[fuzz-ws] counterexample:\n${String(f.reason)}`);
    expect(failures).toHaveLength(0);
    // Frames that came after a case's pong (replies still streaming) are checked here.
    const late = received.flatMap((f) => problemsOf(f, ''));
    expect(late).toEqual([]);
    expect(invalidFrames).toEqual([]);

    const live = await fetch(`${t.url}/api/v1/health/live`);
    expect(live.status).toBe(200);
    const ws = await connect();
    expect((await ws.roundTrip()).type).toBe('pong');
  }, 900_000);
});
