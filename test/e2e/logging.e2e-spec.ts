import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { sleep, until } from '../support/expect';
import { FakeOpenAi, startFakeOpenAi } from '../support/fake-openai';
import { ServiceProcess, startService } from '../support/service-process';
import { readSse } from '../support/sse';
import { chatWsUrl, closeAllWs, connectWs, refusedUpgrade } from '../support/ws-client';
import { TITLES_OFF } from '../support/titles';

/**
 * The service as a process with LOG_LEVEL=debug and JSON logs on stdout: a session that
 * handles every kind of credential (password, access and refresh tokens, WebSocket token and
 * ticket, reset token, provider key) must leave none of them in the log, while each request
 * gets one line with its request id, route, status, duration and user.
 */
describe('Structured logs of a running service', () => {
  const apiKey = `sk-logging-${randomBytes(12).toString('hex')}`;
  const tag = randomBytes(4).toString('hex');
  const password = `first-pass-${tag}-secret`;
  const newPassword = `second-pass-${tag}-secret`;
  const secrets: Record<string, string> = { apiKey, password, newPassword };
  let fake: FakeOpenAi;
  let service: ServiceProcess;
  let log: Record<string, any>[];
  let userId: string;
  let meRequestId: string;
  let generatedRequestId: string;
  let apiKeyId: string;
  let apiKeyRequestId: string;

  beforeAll(async () => {
    fake = await startFakeOpenAi();
    service = await startService({
      ...TITLES_OFF,
      LOG_LEVEL: 'debug',
      LLM_PROVIDER: 'openai',
      OPENAI_API_KEY: apiKey,
      OPENAI_BASE_URL: fake.baseURL,
      SMTP_URL: undefined,
    });
    const api = () => request(service.url);
    const username = `log_${tag}`;
    const email = `log_${tag}@example.com`;

    const registered = await api()
      .post('/api/v1/auth/register')
      .send({ username, email, password, confirm_password: password });
    expect(registered.status).toBe(201);
    userId = registered.body.data.user.id as string;
    secrets.registerAccess = registered.body.data.access_token as string;
    secrets.registerRefresh = registered.body.data.refresh_token as string;

    const wrongLogin = await api()
      .post('/api/v1/auth/login')
      .send({ username, password: `wrong-${password}` });
    expect(wrongLogin.status).toBe(401);
    const login = await api().post('/api/v1/auth/login').send({ username, password });
    expect(login.status).toBe(200);
    const access = login.body.data.access_token as string;
    secrets.loginAccess = access;
    secrets.loginRefresh = login.body.data.refresh_token as string;
    const auth = { Authorization: `Bearer ${access}` };

    meRequestId = `log-test-${tag}`;
    const me = await api().get('/api/v1/users/me').set(auth).set('X-Request-Id', meRequestId);
    expect(me.status).toBe(200);
    // A token in a query string (where it does not belong) is redacted from the URL too.
    const withQueryToken = await api()
      .get(`/api/v1/users/me/quota?access_token=${access}`)
      .set(auth);
    generatedRequestId = withQueryToken.headers['x-request-id'];

    const conversation = await api().post('/api/v1/conversations').set(auth).send({});
    const conversationId = conversation.body.data.id as string;
    const sent = await api()
      .post(`/api/v1/conversations/${conversationId}/messages`)
      .set(auth)
      .send({ content: 'Hello there' });
    expect(sent.status).toBe(201);
    const streamed = await readSse(
      `${service.url}/api/v1/conversations/${conversationId}/messages/stream`,
      { body: { content: 'Stream please' }, headers: auth },
    );
    expect(streamed.events.at(-1)).toMatchObject({ type: 'end' });

    const refreshed = await api()
      .post('/api/v1/auth/refresh')
      .send({ refresh_token: secrets.loginRefresh });
    expect(refreshed.status).toBe(200);
    secrets.refreshedAccess = refreshed.body.data.access_token as string;
    secrets.refreshedRefresh = refreshed.body.data.refresh_token as string;

    const byToken = await connectWs(chatWsUrl(service.url, `?token=${secrets.refreshedAccess}`));
    await byToken.roundTrip();
    // A frame over the 64 KiB cap: the socket is closed (1009), and the log gets no error.
    byToken.sendRaw(Buffer.alloc(70 * 1024, 'a'));
    expect((await byToken.waitForClose()).code).toBe(1009);

    const ticket = await api()
      .post('/api/v1/auth/ws-ticket')
      .set({ Authorization: `Bearer ${secrets.refreshedAccess}` })
      .send({});
    expect(ticket.status).toBe(200);
    secrets.ticket = ticket.body.data.ticket as string;
    const byTicket = await connectWs(chatWsUrl(service.url, `?ticket=${secrets.ticket}`));
    await byTicket.roundTrip();
    await byTicket.close();
    // An API key: used over REST and the WebSocket, then revoked and refused on both.
    const refreshedAuth = { Authorization: `Bearer ${secrets.refreshedAccess}` };
    const created = await api()
      .post('/api/v1/api-keys')
      .set(refreshedAuth)
      .send({ name: 'logged' });
    expect(created.status).toBe(201);
    secrets.userApiKey = created.body.data.key as string;
    apiKeyId = created.body.data.id as string;
    const keyAuth = { Authorization: `Bearer ${secrets.userApiKey}` };
    apiKeyRequestId = `log-key-${tag}`;
    const byKeyMe = await api()
      .get('/api/v1/users/me')
      .set(keyAuth)
      .set('X-Request-Id', apiKeyRequestId);
    expect(byKeyMe.status).toBe(200);
    const byKey = await connectWs(chatWsUrl(service.url, `?token=${secrets.userApiKey}`));
    await byKey.roundTrip();
    await byKey.close();
    expect((await api().delete(`/api/v1/api-keys/${apiKeyId}`).set(refreshedAuth)).status).toBe(
      200,
    );
    expect((await api().get('/api/v1/users/me').set(keyAuth)).status).toBe(401);
    expect(await refusedUpgrade(chatWsUrl(service.url, `?token=${secrets.userApiKey}`))).toBe(401);
    secrets.badToken = `not-a-token-${randomBytes(8).toString('hex')}`;
    expect(await refusedUpgrade(chatWsUrl(service.url, `?token=${secrets.badToken}`))).toBe(401);

    // Without SMTP the reset e-mail goes to DATA_DIR/outbox, not to the log.
    expect((await api().post('/api/v1/auth/forgot-password').send({ email })).status).toBe(200);
    const outbox = join(service.dataDir, 'outbox');
    const mails = () =>
      existsSync(outbox) ? readdirSync(outbox).filter((f) => f.endsWith('.txt')) : [];
    await until(() => mails().length > 0, 5000, 'the e-mail');
    const mail = readFileSync(join(outbox, mails()[0]), 'utf8');
    secrets.resetToken = decodeURIComponent(/reset-password\?token=([^\s]+)/.exec(mail)![1]);
    const reset = await api().post('/api/v1/auth/reset-password').send({
      token: secrets.resetToken,
      new_password: newPassword,
      confirm_password: newPassword,
    });
    expect(reset.status).toBe(200);

    // A health probe, logged at debug.
    expect((await api().get('/api/v1/health/ready')).status).toBe(200);
    await sleep(200);
    expect(await service.stop()).toBe(0);
    log = service.logLines();
  }, 120_000);

  afterAll(async () => {
    await closeAllWs();
    await service?.dispose();
    await fake?.close();
  });

  it('writes every stdout line as a JSON object with level, time and message', () => {
    const lines = service.stdout().split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(20);
    expect(log).toHaveLength(lines.length);
    for (const line of log) {
      expect(line).toMatchObject({ level: expect.any(String), time: expect.any(String) });
    }
  });

  it('leaves no password, token, ticket or key of the session in the log', () => {
    const everything = service.stdout() + service.stderr();
    expect(Object.keys(secrets)).toHaveLength(13);
    const leaked = Object.entries(secrets).filter(([, value]) => everything.includes(value));
    expect(leaked.map(([name]) => name)).toEqual([]);
    // No JWT at all (every access token starts like this).
    expect(everything).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
  });

  it('logs one line per request with request id, route, status, duration and user', () => {
    const mine = log.filter((l) => l.request_id === meRequestId && l.status !== undefined);
    expect(mine).toEqual([
      expect.objectContaining({
        level: 'info',
        method: 'GET',
        route: '/api/v1/users/me',
        url: '/api/v1/users/me',
        status: 200,
        duration_ms: expect.any(Number),
        user_id: userId,
      }),
    ]);
    // A generated request id is the one the response carried; the URL's token is redacted.
    const generated = log.find((l) => l.request_id === generatedRequestId && l.status);
    expect(generated).toMatchObject({
      route: '/api/v1/users/me/quota',
      url: '/api/v1/users/me/quota?access_token=[REDACTED]',
      status: 200,
      user_id: userId,
    });
    // Public routes have no user; failures carry their status.
    expect(log).toContainEqual(
      expect.objectContaining({ route: '/api/v1/auth/login', status: 401, level: 'info' }),
    );
    const register = log.find((l) => l.route === '/api/v1/auth/register');
    expect(register).toMatchObject({ method: 'POST', status: 201 });
    expect(register).not.toHaveProperty('user_id');
    // Never headers, cookies or bodies.
    for (const line of log.filter((l) => l.status !== undefined)) {
      expect(Object.keys(line)).not.toEqual(
        expect.arrayContaining([expect.stringMatching(/^(req|res|headers|body)$/)]),
      );
    }
  });

  it('names the API key (its id, never the key) on the lines of requests made with one', () => {
    const mine = log.filter((l) => l.request_id === apiKeyRequestId && l.status !== undefined);
    expect(mine).toEqual([
      expect.objectContaining({
        route: '/api/v1/users/me',
        status: 200,
        user_id: userId,
        api_key_id: apiKeyId,
      }),
    ]);
    const byToken = log.find((l) => l.request_id === meRequestId && l.status !== undefined);
    expect(byToken).not.toHaveProperty('api_key_id');
  });

  it('logs WebSocket connections and refusals with the credentials redacted from the URL', () => {
    const connected = log.filter((l) => l.msg === 'websocket connected');
    expect(connected.map((l) => l.url)).toEqual([
      '/api/v1/ws/chat?token=[REDACTED]',
      '/api/v1/ws/chat?ticket=[REDACTED]',
      '/api/v1/ws/chat?token=[REDACTED]',
    ]);
    expect(connected.every((l) => l.user_id === userId)).toBe(true);
    expect(connected.map((l) => l.api_key_id)).toEqual([undefined, undefined, apiKeyId]);
    expect(log).toContainEqual(
      expect.objectContaining({
        msg: 'websocket refused: unauthorized',
        url: '/api/v1/ws/chat?token=[REDACTED]',
      }),
    );
  });

  it('logs an oversized WebSocket frame without an error or a stack', () => {
    expect(log).toContainEqual(
      expect.objectContaining({ level: 'debug', context: 'WebSocket', msg: 'client socket error' }),
    );
    expect(log.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
  });

  it('logs health probes at debug only', () => {
    const probes = log.filter((l) => typeof l.route === 'string' && l.route.includes('/health'));
    expect(probes.length).toBeGreaterThan(0);
    expect(probes.every((l) => l.level === 'debug')).toBe(true);
  });
});
