import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { bootApp } from '../support/app';
import { until } from '../support/expect';
import { FakeOpenAi, startFakeOpenAi } from '../support/fake-openai';
import { ServiceProcess, startService } from '../support/service-process';
import { openSse, SseStream } from '../support/sse';
import { chatWsUrl, closeAllWs, connectWs, refusedUpgrade, WsClient } from '../support/ws-client';
import { TITLES_OFF } from '../support/titles';

const GRACE_MS = 5000;
const CHUNK_MS = 100;
/** ~2.5 s of streaming: fits in the grace period. */
const SHORT_TEXT = Array.from({ length: 25 }, (_, i) => `short${i}`).join(' ');
/** ~20 s of streaming: still running at the deadline. */
const LONG_TEXT = Array.from({ length: 200 }, (_, i) => `long${i}`).join(' ');

function contentOf(events: { type: string; content?: string }[]): string {
  return events
    .filter((e) => e.type === 'content' || e.type === 'message_content')
    .map((e) => e.content)
    .join('');
}

/**
 * SIGTERM to a real service process while three SSE streams and one WebSocket stream run
 * against a slow OpenAI-compatible server: it drains (readiness 503, no new generations, other
 * requests served), lets what fits finish within SHUTDOWN_GRACE_MS, cuts off the rest with
 * their partial replies stored, closes sockets with 1001 and exits 0.
 */
describe('Graceful shutdown of a service process', () => {
  let fake: FakeOpenAi;
  let service: ServiceProcess;

  beforeAll(async () => {
    fake = await startFakeOpenAi();
    service = await startService({
      ...TITLES_OFF,
      LLM_PROVIDER: 'openai',
      OPENAI_API_KEY: 'sk-shutdown-test',
      OPENAI_BASE_URL: fake.baseURL,
      SHUTDOWN_GRACE_MS: String(GRACE_MS),
      LOG_LEVEL: 'info',
    });
  }, 90_000);

  afterAll(async () => {
    await closeAllWs();
    await service?.dispose();
    await fake?.close();
  });

  it('drains, finishes or cuts off the running replies, closes sockets with 1001 and exits 0', async () => {
    const api = () => request(service.url);
    const name = `down_${randomBytes(4).toString('hex')}`;
    const registered = await api()
      .post('/api/v1/auth/register')
      .send({
        username: name,
        email: `${name}@example.com`,
        password: 'shutdown-pass-1',
        confirm_password: 'shutdown-pass-1',
      });
    const token = registered.body.data.access_token as string;
    const auth = { Authorization: `Bearer ${token}` };
    const conversation = async () =>
      (await api().post('/api/v1/conversations').set(auth).send({})).body.data.id as string;
    const conversations = await Promise.all([1, 2, 3, 4, 5].map(conversation));

    // Replies are handed out in request order: three long ones, then the short one.
    fake.script(
      { text: LONG_TEXT, chunkIntervalMs: CHUNK_MS },
      { text: LONG_TEXT, chunkIntervalMs: CHUNK_MS },
      { text: LONG_TEXT, chunkIntervalMs: CHUNK_MS },
      { text: SHORT_TEXT, chunkIntervalMs: CHUNK_MS },
    );
    const sse = async (conversationId: string): Promise<SseStream> => {
      const stream = await openSse(
        `${service.url}/api/v1/conversations/${conversationId}/messages/stream`,
        { body: { content: 'Talk slowly' }, headers: auth },
      );
      await stream.waitFor((f) => f.data?.type === 'content', 10_000);
      return stream;
    };
    const longSse = [await sse(conversations[0]), await sse(conversations[1])];
    const ws: WsClient = await connectWs(chatWsUrl(service.url, `?token=${token}`));
    ws.send({ type: 'chat_message', conversation_id: conversations[2], content: 'Talk slowly' });
    const wsStart = await ws.waitForType('message_start', { timeoutMs: 10_000 });
    const wsMessageId = wsStart.message_id as string;
    await ws.waitForType('message_content', { messageId: wsMessageId, timeoutMs: 10_000 });
    const shortSse = await sse(conversations[3]);
    expect(fake.chatRequests).toHaveLength(4);
    const wsClosed = ws.closed;

    const signalledAt = Date.now();
    service.child.kill('SIGTERM');

    // At once: not ready, no new generations (REST, SSE, WebSocket, new sockets)… (the child
    // handles the signal on its next loop turn: a probe sent at the same moment may come first)
    let ready = await api().get('/api/v1/health/ready');
    await until(
      async () => (ready = await api().get('/api/v1/health/ready')).status === 503,
      1000,
      'readiness to turn 503',
    );
    expect(ready.body).toEqual({ status: 'unavailable', draining: true });
    expect(Date.now() - signalledAt).toBeLessThan(1000);
    const send = await api()
      .post(`/api/v1/conversations/${conversations[4]}/messages`)
      .set(auth)
      .send({ content: 'One more?' });
    expect([send.status, send.body.error?.code]).toEqual([503, 'SERVICE_UNAVAILABLE']);
    expect(send.headers['retry-after']).toMatch(/^\d+$/);
    const stream = await api()
      .post(`/api/v1/conversations/${conversations[4]}/messages/stream`)
      .set(auth)
      .send({ content: 'One more?' });
    expect([stream.status, stream.body.error?.code]).toEqual([503, 'SERVICE_UNAVAILABLE']);
    const framesBefore = ws.frames.length;
    ws.send({
      type: 'chat_message',
      conversation_id: conversations[4],
      content: 'One more?',
      request_id: 'late',
    });
    const refused = await ws.waitFor((f) => f.type === 'error' && f.request_id === 'late', {
      from: framesBefore,
    });
    expect(refused.error.code).toBe('SERVICE_UNAVAILABLE');
    expect(await refusedUpgrade(chatWsUrl(service.url, `?token=${token}`))).toBe(503);
    // …while everything else is still served.
    const me = await api().get('/api/v1/users/me').set(auth);
    expect(me.status).toBe(200);

    // The short reply finishes within the grace period.
    await shortSse.untilEnd(GRACE_MS + 5000);
    expect(shortSse.events.at(-1)).toMatchObject({ type: 'end', stopped: false });
    expect(contentOf(shortSse.events)).toBe(SHORT_TEXT);
    expect(Date.now() - signalledAt).toBeLessThan(GRACE_MS);

    // The long ones are cut off at the deadline with an error event.
    for (const s of longSse) {
      await s.untilEnd(GRACE_MS + 5000);
      expect(s.events.at(-1)).toEqual({
        type: 'error',
        error: { code: 'SERVICE_UNAVAILABLE', message: expect.any(String) },
      });
    }
    const wsEnd = await ws.waitFor(
      (f) => f.message_id === wsMessageId && (f.type === 'error' || f.type === 'message_end'),
      { timeoutMs: GRACE_MS + 5000 },
    );
    expect(wsEnd).toMatchObject({ type: 'error', error: { code: 'SERVICE_UNAVAILABLE' } });
    expect((await wsClosed).code).toBe(1001);

    const code = await service.exited;
    const tookMs = Date.now() - signalledAt;
    expect(code).toBe(0);
    expect(tookMs).toBeGreaterThanOrEqual(GRACE_MS - 100);
    expect(tookMs).toBeLessThan(GRACE_MS + 4000);
    // The upstream calls of the cut-off replies were aborted, not left running.
    for (const cut of fake.chatRequests.slice(0, 3)) {
      expect(await fake.waitForClientClose(cut, 2000)).toBe(true);
    }
    expect(fake.chatRequests).toHaveLength(4);

    // In the database, read directly after the process is gone.
    const ids = {
      short: shortSse.events[0].message_id as string,
      sse1: longSse[0].events[0].message_id as string,
      sse2: longSse[1].events[0].message_id as string,
      ws: wsMessageId,
    };
    const reopened = await bootApp({}, { dataDir: service.dataDir });
    try {
      const rows = await reopened.sql<{ id: string; status: string; content: string }>(
        'SELECT id, status, content FROM messages WHERE id = ANY($1)',
        [Object.values(ids)],
      );
      const byId = new Map(rows.map((r) => [r.id, r]));
      expect(byId.get(ids.short)).toMatchObject({ status: 'completed', content: SHORT_TEXT });
      const partial = [
        [ids.sse1, contentOf(longSse[0].events)],
        [ids.sse2, contentOf(longSse[1].events)],
        [ids.ws, contentOf(ws.framesOf(wsMessageId) as { type: string; content?: string }[])],
      ] as const;
      for (const [id, received] of partial) {
        expect(received.length).toBeGreaterThan(0);
        expect(LONG_TEXT.startsWith(received)).toBe(true);
        expect(received.length).toBeLessThan(LONG_TEXT.length);
        expect(byId.get(id)).toEqual({ id, status: 'failed', content: received });
      }
    } finally {
      await reopened.close();
    }
    console.log(
      `[shutdown] SIGTERM → exit 0 in ${tookMs} ms (SHUTDOWN_GRACE_MS=${GRACE_MS}); ` +
        `short reply finished, 3 cut off`,
    );
  }, 120_000);
});
