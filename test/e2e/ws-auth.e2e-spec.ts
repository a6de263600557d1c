import { randomUUID } from 'node:crypto';
import * as jwt from 'jsonwebtoken';
import { EVENT_BUS } from '../../src/redis/event-bus';
import { bearer, changePassword, registerUser, RegisteredUser } from '../factories';
import { bootApp, TEST_JWT_SECRET, TestApp } from '../support/app';
import { ISO_UTC, sleep } from '../support/expect';
import {
  chatWsUrl,
  closeAllWs,
  connectWs,
  refusedUpgrade,
  WsClient,
  WsClientOptions,
} from '../support/ws-client';

/**
 * Who may hold a chat socket, and for how long: credentials at the handshake (?token=,
 * Sec-WebSocket-Protocol, one-time ?ticket=), refusals with an HTTP status and no socket,
 * the Origin check, closing with 4401 when the session ends or the token expires (unless
 * renewed with an `auth` frame), and the ping/pong heartbeat.
 */

const WS_CLOSE_UNAUTHORIZED = 4401;
const ALLOWED_ORIGIN = 'https://chat.example.com';
const claimsOf = (token: string) =>
  jwt.decode(token) as { sub: string; sid: string; typ: string; iat: number; exp: number };
const now = () => Math.floor(Date.now() / 1000);
const sign = (payload: object, options: jwt.SignOptions = {}, secret = TEST_JWT_SECRET) =>
  jwt.sign(payload, secret, { algorithm: 'HS256', ...options });

async function boot(env: Record<string, string | undefined>): Promise<TestApp> {
  const t = await bootApp({
    OPENAI_API_KEY: undefined,
    LLM_PROVIDER: 'offline',
    OFFLINE_TOKEN_DELAY_MS: '2',
    MODELS_FILE: undefined,
    MODELS_JSON: undefined,
    DEFAULT_MODEL: undefined,
    CORS_ORIGINS: undefined,
    JWT_ACCESS_TTL: undefined,
    WS_HEARTBEAT_MS: undefined,
    RATE_LIMIT_AUTH: '10000',
    RATE_LIMIT_DEFAULT: '100000',
    RATE_LIMIT_MESSAGES: '10000',
    ...env,
  });
  // With Redis, the bus subscribes asynchronously: wait until it hears its channels.
  await t.app.get<unknown, { ready?: () => Promise<void> }>(EVENT_BUS).ready?.();
  return t;
}

describe('WebSocket connections: authentication, origin, revocation, heartbeat', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await boot({ CORS_ORIGINS: ALLOWED_ORIGIN, WS_HEARTBEAT_MS: '200' });
  });
  afterEach(() => closeAllWs());
  afterAll(async () => {
    await t?.close();
  });

  const url = (query = '') => chatWsUrl(t.url, query);
  const withToken = (token: string) => url(`?token=${encodeURIComponent(token)}`);
  const connect = (token: string, options: WsClientOptions = {}) =>
    connectWs(withToken(token), options);
  const ticketFor = async (token: string): Promise<string> => {
    const res = await t.api().post('/api/v1/auth/ws-ticket').set(bearer(token)).send();
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ ticket: expect.any(String), expires_in: 30 });
    return res.body.data.ticket as string;
  };
  const login = async (user: RegisteredUser) => {
    const res = await t
      .api()
      .post('/api/v1/auth/login')
      .send({ username: user.username, password: user.password });
    expect(res.status).toBe(200);
    return res.body.data as { access_token: string; refresh_token: string };
  };
  /** The socket works: a ping is answered. */
  const expectWorking = async (client: WsClient) => {
    expect(client.isOpen).toBe(true);
    const pong = await client.roundTrip();
    expect(pong.timestamp).toMatch(ISO_UTC);
  };

  describe('credentials at the handshake', () => {
    let user: RegisteredUser;

    beforeAll(async () => {
      user = await registerUser(t);
    });

    it('accepts the access token as ?token=', async () => {
      await expectWorking(await connect(user.accessToken));
    });

    it("accepts it in Sec-WebSocket-Protocol (['bearer', token]) and selects 'bearer'", async () => {
      const client = await connectWs(url(), { protocols: ['bearer', user.accessToken] });
      expect(client.ws.protocol).toBe('bearer');
      await expectWorking(client);
    });

    it('accepts a one-time ticket from POST /auth/ws-ticket, once', async () => {
      const ticket = await ticketFor(user.accessToken);
      const client = await connectWs(url(`?ticket=${encodeURIComponent(ticket)}`));
      await expectWorking(client);
      expect(await refusedUpgrade(url(`?ticket=${encodeURIComponent(ticket)}`))).toBe(401);
      // The ticketed socket is the user's: a second ticket works too.
      const next = await ticketFor(user.accessToken);
      await expectWorking(await connectWs(url(`?ticket=${encodeURIComponent(next)}`)));
    });

    it('gives no ticket without a valid access token', async () => {
      expect((await t.api().post('/api/v1/auth/ws-ticket').send()).status).toBe(401);
      expect(
        (await t.api().post('/api/v1/auth/ws-ticket').set(bearer('not-a-jwt')).send()).status,
      ).toBe(401);
    });

    it('accepts a token signed with the secret with the right claims (control for the forgeries below)', async () => {
      const { sub, sid } = claimsOf(user.accessToken);
      const forged = sign({ sub, sid, typ: 'access' }, { expiresIn: 300 });
      await expectWorking(await connect(forged));
    });

    const refusals: [string, () => Promise<string> | string][] = [
      ['no credentials at all', () => url()],
      ['an empty ?token=', () => url('?token=')],
      ['a token that is not a JWT', () => withToken('not-a-jwt')],
      [
        'a token signed with another secret',
        () => {
          const { sub, sid } = claimsOf(user.accessToken);
          return withToken(
            sign({ sub, sid, typ: 'access' }, { expiresIn: 300 }, `${TEST_JWT_SECRET}-wrong`),
          );
        },
      ],
      [
        'an expired token',
        () => {
          const { sub, sid } = claimsOf(user.accessToken);
          return withToken(sign({ sub, sid, typ: 'access', iat: now() - 3600, exp: now() - 60 }));
        },
      ],
      [
        'a JWT typed "refresh"',
        () => {
          const { sub, sid } = claimsOf(user.accessToken);
          return withToken(sign({ sub, sid, typ: 'refresh' }, { expiresIn: 300 }));
        },
      ],
      ['the refresh token used as access token', () => withToken(user.refreshToken)],
      [
        'a token of no session',
        () =>
          withToken(sign({ sub: user.id, sid: randomUUID(), typ: 'access' }, { expiresIn: 300 })),
      ],
      ['an unknown ticket', () => url(`?ticket=${'x'.repeat(43)}`)],
    ];

    it.each(refusals)('refuses %s with HTTP 401 and no socket', async (_name, target) => {
      expect(await refusedUpgrade(await target())).toBe(401);
    });

    it('refuses a bad token offered in Sec-WebSocket-Protocol, or the bearer protocol alone, with 401', async () => {
      expect(await refusedUpgrade(url(), { protocols: ['bearer', 'not-a-jwt'] })).toBe(401);
      expect(await refusedUpgrade(url(), { protocols: ['bearer'] })).toBe(401);
    });

    it("refuses a revoked session's token (after logout) and its unused ticket with 401", async () => {
      const other = await registerUser(t);
      const ticket = await ticketFor(other.accessToken);
      await expectWorking(await connect(other.accessToken));
      const out = await t.api().post('/api/v1/auth/logout').set(bearer(other.accessToken)).send();
      expect(out.status).toBe(200);
      expect(await refusedUpgrade(withToken(other.accessToken))).toBe(401);
      expect(await refusedUpgrade(url(`?ticket=${encodeURIComponent(ticket)}`))).toBe(401);
    });
  });

  describe('Origin (CORS_ORIGINS=https://chat.example.com)', () => {
    let user: RegisteredUser;

    beforeAll(async () => {
      user = await registerUser(t);
    });

    it('refuses a foreign Origin with 403, even with a valid token', async () => {
      expect(
        await refusedUpgrade(withToken(user.accessToken), { origin: 'https://evil.example.com' }),
      ).toBe(403);
    });

    it('accepts the allowed Origin', async () => {
      await expectWorking(await connect(user.accessToken, { origin: ALLOWED_ORIGIN }));
    });

    it('accepts a handshake without an Origin header (non-browser clients)', async () => {
      const client = await connect(user.accessToken);
      await expectWorking(client);
    });
  });

  describe('closing with 4401 when the session ends', () => {
    it("logout of the socket's session closes it with 4401; a socket of another session stays", async () => {
      const user = await registerUser(t);
      const second = await login(user);
      const mine = await connect(user.accessToken);
      const ticketed = await connectWs(
        url(`?ticket=${encodeURIComponent(await ticketFor(user.accessToken))}`),
      );
      const theirs = await connect(second.access_token);
      await expectWorking(mine);

      const res = await t.api().post('/api/v1/auth/logout').set(bearer(user.accessToken)).send();
      expect(res.status).toBe(200);
      expect((await mine.waitForClose()).code).toBe(WS_CLOSE_UNAUTHORIZED);
      expect((await ticketed.waitForClose()).code).toBe(WS_CLOSE_UNAUTHORIZED);
      await expectWorking(theirs);
    });

    it('a password change from another session closes the sockets of the other sessions with 4401, not its own', async () => {
      const user = await registerUser(t);
      const second = await login(user);
      const first = await connect(user.accessToken);
      const own = await connect(second.access_token);
      await expectWorking(first);

      const res = await changePassword(
        t,
        second.access_token,
        user.password,
        'a-brand-new-password-1',
      );
      expect(res.status).toBe(200);
      expect((await first.waitForClose()).code).toBe(WS_CLOSE_UNAUTHORIZED);
      await expectWorking(own);
      expect(await refusedUpgrade(withToken(user.accessToken))).toBe(401);
    });

    it("another user's logout closes nothing of this user", async () => {
      const user = await registerUser(t);
      const other = await registerUser(t);
      const client = await connect(user.accessToken);
      const res = await t.api().post('/api/v1/auth/logout').set(bearer(other.accessToken)).send();
      expect(res.status).toBe(200);
      await sleep(100);
      await expectWorking(client);
    });
  });

  describe('heartbeat (WS_HEARTBEAT_MS=200)', () => {
    let user: RegisteredUser;

    beforeAll(async () => {
      user = await registerUser(t);
    });

    it('pings every socket; one that answers stays open', async () => {
      const client = await connect(user.accessToken);
      await client.waitForPings(4, 3000);
      await expectWorking(client);
    });

    it('drops a socket that does not answer pings (autoPong: false)', async () => {
      const silent = await connect(user.accessToken, { autoPong: false });
      const started = Date.now();
      await silent.waitForPings(1, 2000);
      const closed = await silent.waitForClose(3000);
      // Terminated: no close frame, so the client sees 1006.
      expect(closed.code).toBe(1006);
      expect(Date.now() - started).toBeLessThan(3000);
    });
  });
});

describe('WebSocket connections: access-token expiry (JWT_ACCESS_TTL=2)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await boot({ JWT_ACCESS_TTL: '2' });
  });
  afterEach(() => closeAllWs());
  afterAll(async () => {
    await t?.close();
  });

  const connect = (token: string) =>
    connectWs(chatWsUrl(t.url, `?token=${encodeURIComponent(token)}`));
  const refresh = async (refreshToken: string) => {
    const res = await t.api().post('/api/v1/auth/refresh').send({ refresh_token: refreshToken });
    expect(res.status).toBe(200);
    return res.body.data as { access_token: string; refresh_token: string };
  };
  /** A fresh access token of the user's session, issued at least a second after the given one. */
  const laterToken = async (user: RegisteredUser) => {
    const { iat } = claimsOf(user.accessToken);
    while (now() <= iat) await sleep(20);
    return (await refresh(user.refreshToken)).access_token;
  };

  it('closes the socket with 4401 when its access token expires', async () => {
    const user = await registerUser(t);
    const client = await connect(user.accessToken);
    const { exp } = claimsOf(user.accessToken);
    await client.roundTrip();
    const closed = await client.waitForClose(5000);
    expect(closed.code).toBe(WS_CLOSE_UNAUTHORIZED);
    expect(Date.now()).toBeGreaterThanOrEqual(exp * 1000 - 50);
  });

  it('a socket opened with a ticket closes with 4401 after the access lifetime too', async () => {
    const user = await registerUser(t);
    const res = await t.api().post('/api/v1/auth/ws-ticket').set(bearer(user.accessToken)).send();
    expect(res.status).toBe(200);
    const opened = Date.now();
    const client = await connectWs(
      chatWsUrl(t.url, `?ticket=${encodeURIComponent(res.body.data.ticket)}`),
    );
    const closed = await client.waitForClose(5000);
    expect(closed.code).toBe(WS_CLOSE_UNAUTHORIZED);
    expect(Date.now() - opened).toBeGreaterThanOrEqual(1500);
  });

  it("an 'auth' frame with a fresh token keeps the socket open past the first expiry, until the new one's", async () => {
    const user = await registerUser(t);
    const client = await connect(user.accessToken);
    const first = claimsOf(user.accessToken);
    const fresh = await laterToken(user);
    const second = claimsOf(fresh);
    expect(second.exp).toBeGreaterThan(first.exp);

    client.send({ type: 'auth', token: fresh });
    const ok = await client.waitForType('authenticated');
    expect(ok.timestamp).toMatch(ISO_UTC);
    expect(Date.parse(ok.expires_at as string)).toBe(second.exp * 1000);

    await sleep(Math.max(0, first.exp * 1000 + 400 - Date.now()));
    expect(client.closeInfo).toBeUndefined();
    await client.roundTrip();

    const closed = await client.waitForClose(5000);
    expect(closed.code).toBe(WS_CLOSE_UNAUTHORIZED);
    expect(Date.now()).toBeGreaterThanOrEqual(second.exp * 1000 - 50);
  });

  it("an 'auth' frame with a bad token or another user's token is refused and changes nothing", async () => {
    const user = await registerUser(t);
    const other = await registerUser(t);
    const client = await connect(user.accessToken);
    const { exp } = claimsOf(user.accessToken);
    for (const token of ['not-a-jwt', other.accessToken]) {
      const from = client.frames.length;
      client.send({ type: 'auth', token, request_id: 'renew' });
      const error = await client.waitForType('error', { from });
      expect(error).toMatchObject({
        error: { code: 'AUTHENTICATION_ERROR', message: expect.any(String) },
        request_id: 'renew',
      });
    }
    expect(client.frames.some((f) => f.type === 'authenticated')).toBe(false);
    const closed = await client.waitForClose(5000);
    expect(closed.code).toBe(WS_CLOSE_UNAUTHORIZED);
    expect(Date.now()).toBeLessThan(exp * 1000 + 1500);
  });
});
