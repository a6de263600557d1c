import { randomInt } from 'node:crypto';
import type { SessionResponse } from '../../src/modules/auth/dto/session.response';
import { bearer, registerUser, type RegisteredUser } from '../factories';
import { bootApp, type TestApp } from '../support/app';
import { chatWsUrl, closeAllWs, connectWs, type WsClient } from '../support/ws-client';

/**
 * Issue 13, item 5: a stolen session spends the user's whole `default` budget (100/min, the
 * contract's figure) while the owner takes the account back. The owner's logout, session list,
 * session revoke and change-password are counted by their own `recovery` budget (per session and
 * address), so they keep answering; once the stolen session is revoked its requests get 401 and
 * its socket closes 4401. Two thefts: a second login with the password, and the owner's refresh
 * token used by the thief (the same session). Runs on PostgreSQL and on embedded PGlite.
 */
const DEFAULT_LIMIT = 100;
const FLOOD = 400;
const IN_FLIGHT = 16;

// Fresh addresses per run: counters left in a shared Redis by another run never match.
const NET = `10.${randomInt(0, 256)}.${randomInt(0, 256)}`;
const OWNER_IP = `${NET}.1`;
const THIEF_IP = `${NET}.66`;
const from = (ip: string, userAgent: string) => ({
  'X-Forwarded-For': ip,
  'User-Agent': userAgent,
});

interface Answer {
  status: number;
  code?: string;
  ms: number;
}

function stats(values: number[]): { p50: number; p99: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: at(0.5) ?? 0, p99: at(0.99) ?? 0, max: sorted.at(-1) ?? 0 };
}

function countBy(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

describe('A stolen session spends the default budget; the owner still takes the account back', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootApp({
      RATE_LIMIT_DEFAULT: String(DEFAULT_LIMIT),
      RATE_LIMIT_RECOVERY: '20',
      TRUST_PROXY: 'loopback',
      LLM_PROVIDER: 'offline',
      OPENAI_API_KEY: undefined,
    });
  });
  afterAll(async () => {
    await closeAllWs();
    await t?.close();
  });

  const call = async (
    method: 'get' | 'post' | 'delete',
    path: string,
    token: string,
    headers: Record<string, string>,
    body?: object,
  ): Promise<Answer> => {
    const started = performance.now();
    let req = t.api()[method](path).set(headers).set(bearer(token));
    if (body) req = req.send(body);
    const res = await req;
    return {
      status: res.status,
      code: (res.body as { error?: { code?: string } }).error?.code,
      ms: Math.round(performance.now() - started),
    };
  };

  /** The thief's flood of ordinary requests, IN_FLIGHT at a time, until FLOOD are answered. */
  const flood = async (token: string): Promise<Answer[]> => {
    const answers: Answer[] = [];
    let next = 0;
    const paths = ['/api/v1/conversations', '/api/v1/users/me', '/api/v1/users/me/quota'];
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < FLOOD) {
          const path = paths[next++ % paths.length];
          answers.push(await call('get', path, token, from(THIEF_IP, 'thief-bot/1.0')));
        }
      }),
    );
    return answers;
  };

  const register = () => registerUser(t, {}, from(OWNER_IP, 'owner-browser/1.0'));

  const openSocket = async (token: string): Promise<WsClient> => {
    const ws = await connectWs(chatWsUrl(t.url, `?token=${encodeURIComponent(token)}`), {
      headers: from(THIEF_IP, 'thief-bot/1.0'),
    });
    await ws.roundTrip();
    return ws;
  };

  /** The owner's recovery calls while the flood runs: each must answer (never 429). */
  const ownerDuringFlood = async (
    owner: RegisteredUser,
    thiefFlood: Promise<Answer[]>,
  ): Promise<Answer[]> => {
    const answers: Answer[] = [];
    let done = false;
    thiefFlood.then(
      () => (done = true),
      () => (done = true),
    );
    // Ordinary requests of the owner meanwhile, to see the shared budget spent.
    while (!done) {
      answers.push(
        await call('get', '/api/v1/auth/sessions', owner.accessToken, from(OWNER_IP, 'owner')),
      );
      await new Promise((resolve) => setTimeout(resolve, 25));
      if (answers.length >= 15) break;
    }
    return answers;
  };

  /** The thief floods while the owner lists the sessions: the thief gets exactly the budget, the owner every answer. */
  const theftUnderWay = async (owner: RegisteredUser, thiefToken: string) => {
    const thiefFlood = flood(thiefToken);
    const duringFlood = await ownerDuringFlood(owner, thiefFlood);
    const thiefAnswers = await thiefFlood;
    expect(thiefAnswers.filter((a) => a.status === 200)).toHaveLength(DEFAULT_LIMIT);
    expect(thiefAnswers.filter((a) => a.status === 429)).toHaveLength(FLOOD - DEFAULT_LIMIT);
    expect(duringFlood.every((a) => a.status === 200)).toBe(true);
    return { thiefAnswers, duringFlood };
  };

  /** The owner's session list (sent from the owner's address). */
  const sessionsOf = async (owner: RegisteredUser): Promise<SessionResponse[]> => {
    const listed = await t
      .api()
      .get('/api/v1/auth/sessions')
      .set(from(OWNER_IP, 'owner'))
      .set(bearer(owner.accessToken));
    expect(listed.status).toBe(200);
    return listed.body.data.sessions as SessionResponse[];
  };

  it('second login of the same account: the owner lists the sessions, revokes the thief and logs out while the default budget is spent', async () => {
    const owner = await register();
    const login = await t
      .api()
      .post('/api/v1/auth/login')
      .set(from(THIEF_IP, 'thief-bot/1.0'))
      .send({ username: owner.email, password: owner.password });
    expect(login.status).toBe(200);
    const thief = login.body.data as { access_token: string };
    const socket = await openSocket(thief.access_token);

    const { thiefAnswers, duringFlood } = await theftUnderWay(owner, thief.access_token);
    const thiefStatuses = countBy(thiefAnswers.map((a) => `${a.status} ${a.code ?? ''}`.trim()));

    // The whole default budget went to the thief: the owner's ordinary request is refused too.
    const ownerOrdinary = await call(
      'get',
      '/api/v1/conversations',
      owner.accessToken,
      from(OWNER_IP, 'owner'),
    );
    expect(ownerOrdinary).toMatchObject({ status: 429, code: 'RATE_LIMIT_EXCEEDED' });

    // The owner finds the thief's session (its client and address) and ends it.
    const sessions = await sessionsOf(owner);
    expect(sessions).toHaveLength(2);
    const stolen = sessions.find((s) => !s.current)!;
    expect(stolen).toMatchObject({ user_agent: 'thief-bot/1.0', ip: THIEF_IP });

    const revokeStarted = performance.now();
    const revoked = await call(
      'delete',
      `/api/v1/auth/sessions/${stolen.id}`,
      owner.accessToken,
      from(OWNER_IP, 'owner'),
    );
    expect(revoked.status).toBe(200);
    const close = await socket.waitForClose();
    const closeMs = Math.round(performance.now() - revokeStarted);
    expect(close.code).toBe(4401);

    // The stolen session is over: its requests are refused for the token (then, past the
    // address's anonymous budget, for the rate).
    const after = await Promise.all(
      Array.from({ length: 20 }, () =>
        call('get', '/api/v1/users/me', thief.access_token, from(THIEF_IP, 'thief-bot/1.0')),
      ),
    );
    expect(after.every((a) => a.status === 401 && a.code === 'AUTHENTICATION_ERROR')).toBe(true);

    // And the owner still changes the password and logs out, on the recovery budget.
    const changed = await call(
      'post',
      '/api/v1/users/me/change-password',
      owner.accessToken,
      from(OWNER_IP, 'owner'),
      {
        current_password: owner.password,
        new_password: 'taken-back-password-1',
        confirm_password: 'taken-back-password-1',
      },
    );
    expect(changed.status).toBe(200);
    const out = await call('post', '/api/v1/auth/logout', owner.accessToken, from(OWNER_IP, 'o'));
    expect(out.status).toBe(200);

    const thiefLatency = stats(thiefAnswers.map((a) => a.ms));
    const ownerLatency = stats(duringFlood.map((a) => a.ms));
    console.log(
      `[stolen-session] second login: thief ${FLOOD} requests (${IN_FLIGHT} in flight) → ` +
        `${JSON.stringify(thiefStatuses)}, p50 ${thiefLatency.p50} / p99 ${thiefLatency.p99} ms; ` +
        `owner's GET /auth/sessions during the flood: ${duringFlood.length} × ` +
        `${JSON.stringify(countBy(duringFlood.map((a) => String(a.status))))}, ` +
        `p50 ${ownerLatency.p50} / max ${ownerLatency.max} ms; owner's GET /conversations ${ownerOrdinary.status}; ` +
        `revoke ${revoked.ms} ms, thief socket closed ${close.code} ${closeMs} ms after the revoke was sent; ` +
        `thief after: ${JSON.stringify(countBy(after.map((a) => String(a.status))))}; ` +
        `change-password ${changed.status} in ${changed.ms} ms, logout ${out.status} in ${out.ms} ms`,
    );
  });

  it("the owner's refresh token used by the thief (same session): the owner ends that session while the budget is spent, and signs in afresh", async () => {
    const owner = await register();
    const refreshed = await t
      .api()
      .post('/api/v1/auth/refresh')
      .set(from(THIEF_IP, 'thief-bot/1.0'))
      .send({ refresh_token: owner.refreshToken });
    expect(refreshed.status).toBe(200);
    const thief = refreshed.body.data as { access_token: string };
    const socket = await openSocket(thief.access_token);

    const { thiefAnswers, duringFlood } = await theftUnderWay(owner, thief.access_token);

    // One session, shared: the list shows where it was last refreshed from.
    expect(await sessionsOf(owner)).toEqual([
      expect.objectContaining({ current: true, user_agent: 'thief-bot/1.0', ip: THIEF_IP }),
    ]);

    const started = performance.now();
    const out = await call('post', '/api/v1/auth/logout', owner.accessToken, from(OWNER_IP, 'o'));
    expect(out.status).toBe(200);
    const close = await socket.waitForClose();
    const closeMs = Math.round(performance.now() - started);
    expect(close.code).toBe(4401);
    const after = await call(
      'get',
      '/api/v1/users/me',
      thief.access_token,
      from(THIEF_IP, 'thief-bot/1.0'),
    );
    expect(after).toMatchObject({ status: 401, code: 'AUTHENTICATION_ERROR' });

    // The owner signs in again: a new session, whose default budget is still the spent one
    // (per user), while its recovery routes answer.
    const again = await t
      .api()
      .post('/api/v1/auth/login')
      .set(from(OWNER_IP, 'owner-browser/1.0'))
      .send({ username: owner.username, password: owner.password });
    expect(again.status).toBe(200);
    const fresh = again.body.data.access_token as string;
    const list = await call('get', '/api/v1/auth/sessions', fresh, from(OWNER_IP, 'owner'));
    expect(list.status).toBe(200);
    const ownerLatency = stats(duringFlood.map((a) => a.ms));
    console.log(
      `[stolen-session] same refresh token: thief ${FLOOD} requests → ` +
        `${JSON.stringify(countBy(thiefAnswers.map((a) => String(a.status))))}; owner's GET /auth/sessions ` +
        `during the flood ${duringFlood.length} × 200, p50 ${ownerLatency.p50} / max ${ownerLatency.max} ms; ` +
        `logout ${out.ms} ms, thief socket closed ${close.code} ${closeMs} ms after the logout was sent, ` +
        `thief after ${after.status}; owner signed in again, sessions ${list.status}`,
    );
  });
});
