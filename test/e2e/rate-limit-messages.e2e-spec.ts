import WebSocket from 'ws';
import { bearer, registerUser, RegisteredUser } from '../factories';
import { bootApp, TestApp } from '../support/app';

/** One socket, its frames, and a way to wait for one. */
async function openSocket(t: TestApp, user: RegisteredUser) {
  const ws = new WebSocket(
    `${t.url.replace('http', 'ws')}/api/v1/ws/chat?token=${user.accessToken}`,
  );
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const frames: Record<string, any>[] = [];
  ws.on('message', (data: Buffer) =>
    frames.push(JSON.parse(data.toString()) as Record<string, any>),
  );
  const waitFor = async (match: (f: Record<string, any>) => boolean) => {
    for (let i = 0; i < 200; i++) {
      const found = frames.find(match);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`no matching frame in ${JSON.stringify(frames)}`);
  };
  return { ws, frames, waitFor };
}

describe('The message rate limit', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootApp({
      RATE_LIMIT_MESSAGES: '3',
      OFFLINE_TOKEN_DELAY_MS: '0',
      OPENAI_API_KEY: undefined,
      LLM_PROVIDER: 'offline',
    });
  });
  afterAll(async () => {
    await t.close();
  });

  async function conversationOf(user: RegisteredUser): Promise<string> {
    return (await t.api().post('/api/v1/conversations').set(bearer(user.accessToken)).send({})).body
      .data.id as string;
  }

  it('is one budget per user across REST, SSE and WebSocket, answered 429 with Retry-After', async () => {
    const user = await registerUser(t);
    const id = await conversationOf(user);
    const rest = await t
      .api()
      .post(`/api/v1/conversations/${id}/messages`)
      .set(bearer(user.accessToken))
      .send({ content: 'one' });
    expect(rest.status).toBe(201);
    // Where the budget stands, on every send (RateLimit-* headers).
    expect(rest.headers['ratelimit-limit']).toBe('3');
    expect(rest.headers['ratelimit-remaining']).toBe('2');
    expect(Number(rest.headers['ratelimit-reset'])).toBeGreaterThanOrEqual(1);
    const sse = await t
      .api()
      .post(`/api/v1/conversations/${id}/messages/stream`)
      .set(bearer(user.accessToken))
      .send({ content: 'two' });
    expect(sse.status).toBe(200);
    expect(sse.headers['ratelimit-remaining']).toBe('1');
    const socket = await openSocket(t, user);
    socket.ws.send(
      JSON.stringify({
        type: 'chat_message',
        conversation_id: id,
        content: 'three',
        request_id: 'r3',
      }),
    );
    await socket.waitFor((f) => f.type === 'message_end');

    const over = await t
      .api()
      .post(`/api/v1/conversations/${id}/messages`)
      .set(bearer(user.accessToken))
      .send({ content: 'four' });
    expect(over.status).toBe(429);
    expect(over.body.error).toMatchObject({
      code: 'RATE_LIMIT_EXCEEDED',
      details: { group: 'messages', limit: 3 },
    });
    const retryAfter = Number(over.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(over.headers['ratelimit-limit']).toBe('3');
    expect(over.headers['ratelimit-remaining']).toBe('0');
    expect(over.headers['ratelimit-reset']).toBe(String(retryAfter));

    const overStream = await t
      .api()
      .post(`/api/v1/conversations/${id}/messages/stream`)
      .set(bearer(user.accessToken))
      .send({ content: 'five' });
    expect(overStream.status).toBe(429);
    expect(overStream.body.error.details).toMatchObject({ group: 'messages', limit: 3 });
    expect(overStream.headers['ratelimit-remaining']).toBe('0');
    expect(Number(overStream.headers['retry-after'])).toBeGreaterThanOrEqual(1);

    socket.ws.send(
      JSON.stringify({
        type: 'chat_message',
        conversation_id: id,
        content: 'six',
        request_id: 'r6',
      }),
    );
    const refused = await socket.waitFor((f) => f.type === 'error' && f.request_id === 'r6');
    expect(refused.error.code).toBe('RATE_LIMIT_EXCEEDED');
    socket.ws.close();

    // Nothing was stored for the refused sends: 3 exchanges of 2 messages.
    const [{ n }] = await t.sql<{ n: number }>(
      'SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1',
      [id],
    );
    expect(n).toBe(6);
  });

  it('counts each user separately', async () => {
    const [a, b] = [await registerUser(t), await registerUser(t)];
    const [ca, cb] = [await conversationOf(a), await conversationOf(b)];
    for (let i = 0; i < 3; i++) {
      expect(
        (
          await t
            .api()
            .post(`/api/v1/conversations/${ca}/messages`)
            .set(bearer(a.accessToken))
            .send({ content: `a${i}` })
        ).status,
      ).toBe(201);
    }
    expect(
      (
        await t
          .api()
          .post(`/api/v1/conversations/${ca}/messages`)
          .set(bearer(a.accessToken))
          .send({ content: 'a3' })
      ).status,
    ).toBe(429);
    expect(
      (
        await t
          .api()
          .post(`/api/v1/conversations/${cb}/messages`)
          .set(bearer(b.accessToken))
          .send({ content: 'b0' })
      ).status,
    ).toBe(201);
  });
});
