import { bearer, registerUser } from '../factories';
import { bootApp, TestApp } from '../support/app';

describe('SSE heartbeats', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootApp({
      SSE_HEARTBEAT_MS: '100',
      OFFLINE_TOKEN_DELAY_MS: '25',
      OPENAI_API_KEY: undefined,
      LLM_PROVIDER: 'offline',
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('sends comment lines between events while a reply is slow, which SSE clients ignore', async () => {
    const user = await registerUser(t);
    const conversation = await t
      .api()
      .post('/api/v1/conversations')
      .set(bearer(user.accessToken))
      .send({});
    const res = await t
      .api()
      .post(`/api/v1/conversations/${conversation.body.data.id}/messages/stream`)
      .set(bearer(user.accessToken))
      .send({ content: 'Tell me something slowly' });
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toContain('no-cache');
    expect(res.headers['x-accel-buffering']).toBe('no');
    const heartbeats = res.text.split('\n\n').filter((block) => block === ': heartbeat').length;
    expect(heartbeats).toBeGreaterThan(0);
    // Every other block is an event with an id and a JSON data line.
    const events = res.text.split('\n\n').filter((block) => block && block !== ': heartbeat');
    for (const block of events) expect(block).toMatch(/^id: \d+\ndata: \{.*\}$/s);
    expect(JSON.parse(events.at(-1)!.split('data: ')[1])).toMatchObject({ type: 'end' });
  });
});
