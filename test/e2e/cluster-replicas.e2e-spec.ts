import { startFakeOpenAi, fakeOpenAiEnv, FakeOpenAi } from '../support/fake-openai';
import { ServiceProcess, startService } from '../support/service-process';
import { TITLES_OFF } from '../support/titles';

/**
 * CLUSTER_WORKERS: one process per core behind one port (node:cluster), each a replica that
 * shares state through PostgreSQL and Redis. Needs both (jest.config.js runs *replica* files
 * only when DATABASE_URL and REDIS_URL are set).
 */
describe('CLUSTER_WORKERS=2: two worker processes behind one port', () => {
  let fake: FakeOpenAi;
  let service: ServiceProcess;

  beforeAll(async () => {
    fake = await startFakeOpenAi();
    service = await startService({ ...fakeOpenAiEnv(fake), ...TITLES_OFF, CLUSTER_WORKERS: '2' });
  }, 90_000);
  afterAll(async () => {
    await service?.dispose();
    await fake?.close();
  });

  /** Pids of the workers that logged that they listen. */
  const listening = () =>
    new Set(
      service
        .logLines()
        .filter((l) => typeof l.msg === 'string' && l.msg.startsWith('listening on'))
        .map((l) => l.pid as number),
    );

  async function json(path: string, init: RequestInit = {}) {
    const res = await fetch(`${service.url}/api/v1${path}`, {
      ...init,
      headers: { 'content-type': 'application/json', ...(init.headers ?? {}) },
    });
    return { status: res.status, body: (await res.json()) as { data: any } };
  }

  it('starts two workers and serves a whole send through them', async () => {
    const deadline = Date.now() + 30_000;
    while (listening().size < 2 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(listening().size).toBe(2);

    const reg = await json('/auth/register', {
      method: 'POST',
      body: JSON.stringify({
        username: `cl${Date.now()}`,
        email: `cl${Date.now()}@example.com`,
        password: 'correct-horse-9',
        confirm_password: 'correct-horse-9',
      }),
    });
    expect(reg.status).toBe(201);
    const auth = { authorization: `Bearer ${reg.body.data.access_token as string}` };
    const conv = await json('/conversations', { method: 'POST', headers: auth, body: '{}' });
    expect(conv.status).toBe(201);
    // Several sends, so both workers are likely to serve some; each must work whoever serves it.
    for (let i = 0; i < 6; i++) {
      const sent = await json(`/conversations/${conv.body.data.id as string}/messages`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ content: `hello ${i}` }),
      });
      expect(sent.status).toBe(201);
    }
  });

  it('replaces a worker that dies, and keeps serving meanwhile', async () => {
    const [victim] = [...listening()];
    process.kill(victim, 'SIGKILL');
    const deadline = Date.now() + 30_000;
    while (listening().size < 3 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(listening().size).toBe(3);
    expect((await fetch(`${service.url}/api/v1/health/live`)).status).toBe(200);
  });

  it('stops every worker on SIGTERM and exits 0', async () => {
    expect(await service.stop()).toBe(0);
  });
});
