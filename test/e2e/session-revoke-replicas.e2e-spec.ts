import { EVENT_BUS } from '../../src/redis/event-bus';
import { aConversation, bearer, registerUser } from '../factories';
import { bootApp, type TestApp } from '../support/app';
import { expectError } from '../support/expect';
import { fakeOpenAiEnv, startFakeOpenAi, type FakeOpenAi } from '../support/fake-openai';
import { openSse } from '../support/sse';
import { chatWsUrl, closeAllWs, connectWs } from '../support/ws-client';
import { TITLES_OFF } from '../support/titles';

const sidOf = (token: string) =>
  (JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as { sid: string })
    .sid;

/**
 * A session revoked through one replica (DELETE /auth/sessions/{id}) ends what it has open on
 * another: its socket closes 4401 and its SSE reply ends with an `error` event
 * AUTHENTICATION_ERROR, through the event bus. Needs PostgreSQL and Redis shared by both
 * replicas (jest.config.js runs *replica* files only then).
 */
describe('revoking a session through another replica (PostgreSQL + Redis)', () => {
  let fake: FakeOpenAi;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    fake = await startFakeOpenAi();
    fake.setDefault({ text: 'word '.repeat(100).trim(), chunkIntervalMs: 50 });
    a = await bootApp({ ...fakeOpenAiEnv(fake), ...TITLES_OFF });
    b = await bootApp({ ...fakeOpenAiEnv(fake), ...TITLES_OFF });
    for (const t of [a, b])
      await t.app.get<unknown, { ready?: () => Promise<void> }>(EVENT_BUS).ready?.();
  });
  afterAll(async () => {
    await closeAllWs();
    await a?.close();
    await b?.close();
    await fake?.close();
  });

  it("closes the session's socket and ends its SSE stream on the other replica", async () => {
    const owner = await registerUser(a);
    const login = await b
      .api()
      .post('/api/v1/auth/login')
      .send({ username: owner.username, password: owner.password });
    const other = login.body.data.access_token as string;
    const socket = await connectWs(chatWsUrl(b.url, `?token=${encodeURIComponent(other)}`));
    await socket.roundTrip();
    const conversation = await aConversation(b, { accessToken: other });
    const stream = await openSse(
      `${b.url}/api/v1/conversations/${conversation.id}/messages/stream`,
      { headers: bearer(other), body: { content: 'a long one' } },
    );
    await stream.waitFor((f) => f.data?.type === 'content');

    const res = await a
      .api()
      .delete(`/api/v1/auth/sessions/${sidOf(other)}`)
      .set(bearer(owner.accessToken));
    expect(res.status).toBe(200);

    expect((await socket.waitForClose()).code).toBe(4401);
    await stream.untilEnd(5000);
    expect(stream.events.at(-1)).toMatchObject({
      type: 'error',
      error: { code: 'AUTHENTICATION_ERROR' },
    });
    expectError(
      await b.api().get('/api/v1/users/me').set(bearer(other)),
      401,
      'AUTHENTICATION_ERROR',
    );
  });
});
