import { createHmac, randomUUID } from 'node:crypto';
import type { SessionResponse } from '../../src/modules/auth/dto/session.response';
import {
  aConversation,
  bearer,
  changePassword,
  registerUser,
  type RegisteredUser,
} from '../factories';
import { bootApp, TEST_JWT_SECRET, type TestApp } from '../support/app';
import { expectError, ISO_UTC, until } from '../support/expect';
import { fakeOpenAiEnv, startFakeOpenAi, type FakeOpenAi } from '../support/fake-openai';
import { openSse, type SseStream } from '../support/sse';
import { chatWsUrl, closeAllWs, connectWs, refusedUpgrade } from '../support/ws-client';
import { TITLES_OFF } from '../support/titles';

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
/** The session id an access token names. */
const sidOf = (token: string) => claimsOf(token).sid as string;

/** An HS256 token signed with the app's own secret. */
function signHs256(claims: Record<string, unknown>): string {
  const body = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(claims)}`;
  return `${body}.${createHmac('sha256', TEST_JWT_SECRET).update(body).digest('base64url')}`;
}

describe('Sessions: GET and DELETE /auth/sessions; streams of an ended session', () => {
  let t: TestApp;
  let fake: FakeOpenAi;

  beforeAll(async () => {
    fake = await startFakeOpenAi();
    // A reply long enough to be caught mid-stream: 60 pieces, 50 ms apart.
    fake.setDefault({ text: 'word '.repeat(60).trim(), chunkIntervalMs: 50 });
    t = await bootApp({ ...fakeOpenAiEnv(fake), ...TITLES_OFF, AUTH_SESSION_TOUCH_SECONDS: '0' });
  });
  afterAll(async () => {
    await closeAllWs();
    await t?.close();
    await fake?.close();
  });

  const login = async (user: RegisteredUser, userAgent = 'test-agent') => {
    const res = await t
      .api()
      .post('/api/v1/auth/login')
      .set('User-Agent', userAgent)
      .send({ username: user.username, password: user.password });
    expect(res.status).toBe(200);
    return res.body.data as { access_token: string; refresh_token: string };
  };
  const list = (token: string) => t.api().get('/api/v1/auth/sessions').set(bearer(token));
  const revoke = (token: string, id: string) =>
    t.api().delete(`/api/v1/auth/sessions/${id}`).set(bearer(token));
  const me = (token: string) => t.api().get('/api/v1/users/me').set(bearer(token));
  const refresh = (token: string, userAgent = 'test-agent') =>
    t
      .api()
      .post('/api/v1/auth/refresh')
      .set('User-Agent', userAgent)
      .send({ refresh_token: token });
  const sessionsOf = async (token: string): Promise<SessionResponse[]> => {
    const res = await list(token);
    expect(res.status).toBe(200);
    return res.body.data.sessions as SessionResponse[];
  };
  /** Opens a streaming send and waits for its first content. */
  const streamingSend = async (token: string): Promise<SseStream> => {
    const conversation = await aConversation(t, { accessToken: token });
    const stream = await openSse(
      `${t.url}/api/v1/conversations/${conversation.id}/messages/stream`,
      { headers: bearer(token), body: { content: 'tell me a long story' } },
    );
    expect(stream.status).toBe(200);
    await stream.waitFor((f) => f.data?.type === 'content');
    return stream;
  };
  /** The stream ended by its session's end: an `error` event AUTHENTICATION_ERROR, no `end`. */
  const expectEndedBySession = async (stream: SseStream) => {
    await stream.untilEnd(5000);
    const last = stream.frames[stream.frames.length - 1];
    expect(last.data).toMatchObject({ type: 'error', error: { code: 'AUTHENTICATION_ERROR' } });
    expect(typeof last.data.error.message).toBe('string');
    // No id: a resume after signing in again continues after the last real event.
    expect(last.id).toBeUndefined();
    expect(stream.events.some((e) => e.type === 'end')).toBe(false);
  };

  describe('GET /auth/sessions', () => {
    it("lists the caller's live sessions with client, address and times, marking the current one", async () => {
      const user = await registerUser(t);
      const second = await login(user, 'agent-B/2.0');
      const stranger = await registerUser(t);

      const sessions = await sessionsOf(second.access_token);
      expect(sessions.map((s) => s.id).sort()).toEqual(
        [sidOf(user.accessToken), sidOf(second.access_token)].sort(),
      );
      const current = sessions.find((s) => s.current);
      expect(current?.id).toBe(sidOf(second.access_token));
      expect(sessions.filter((s) => s.current)).toHaveLength(1);
      expect(current).toMatchObject({ user_agent: 'agent-B/2.0' });
      for (const s of sessions) {
        expect(Object.keys(s).sort()).toEqual(
          ['created_at', 'current', 'id', 'ip', 'last_used_at', 'user_agent'].sort(),
        );
        expect(s.ip).toMatch(/127\.0\.0\.1/);
        expect(s.created_at).toMatch(ISO_UTC);
        expect(s.last_used_at).toMatch(ISO_UTC);
      }
      expect(sessions.map((s) => s.id)).not.toContain(sidOf(stranger.accessToken));

      // A session logged out is no longer listed.
      expect(
        (await t.api().post('/api/v1/auth/logout').set(bearer(user.accessToken)).send()).status,
      ).toBe(200);
      expect((await sessionsOf(second.access_token)).map((s) => s.id)).toEqual([
        sidOf(second.access_token),
      ]);
    });

    it('a refresh moves last_used_at and records the client and address it came from', async () => {
      const user = await registerUser(t);
      const sid = sidOf(user.accessToken);
      await t.sql(`UPDATE sessions SET last_used_at = now() - interval '1 day' WHERE id = $1`, [
        sid,
      ]);
      const res = await refresh(user.refreshToken, 'agent-C/3.0');
      expect(res.status).toBe(200);
      // Read in SQL: any authenticated request would move it too here (touch interval 0).
      const [row] = await t.sql<{ recent: boolean; user_agent: string }>(
        `SELECT last_used_at > now() - interval '1 minute' AS recent, user_agent
           FROM sessions WHERE id = $1`,
        [sid],
      );
      expect(row).toEqual({ recent: true, user_agent: 'agent-C/3.0' });
      const listed = (await sessionsOf(res.body.data.access_token)).find((s) => s.id === sid);
      expect(listed?.user_agent).toBe('agent-C/3.0');
    });

    it('use of an access token moves last_used_at (AUTH_SESSION_TOUCH_SECONDS=0 here)', async () => {
      const user = await registerUser(t);
      const sid = sidOf(user.accessToken);
      await t.sql(`UPDATE sessions SET last_used_at = now() - interval '1 day' WHERE id = $1`, [
        sid,
      ]);
      expect((await me(user.accessToken)).status).toBe(200);
      // Written in the background, after the answer.
      await until(async () => {
        const [row] = await t.sql<{ recent: boolean }>(
          `SELECT last_used_at > now() - interval '1 minute' AS recent FROM sessions WHERE id = $1`,
          [sid],
        );
        return row.recent;
      });
    });
  });

  describe('DELETE /auth/sessions/{id}', () => {
    it("ends one of the caller's sessions: its tokens stop at once, its socket closes 4401, its stream ends with AUTHENTICATION_ERROR; the caller's own goes on", async () => {
      const user = await registerUser(t);
      const thief = await login(user, 'thief/1.0');
      const socket = await connectWs(
        chatWsUrl(t.url, `?token=${encodeURIComponent(thief.access_token)}`),
      );
      await socket.roundTrip();
      const stream = await streamingSend(thief.access_token);

      const res = await revoke(user.accessToken, sidOf(thief.access_token));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ success: true, data: null });

      expect((await socket.waitForClose()).code).toBe(4401);
      await expectEndedBySession(stream);
      expectError(await me(thief.access_token), 401, 'AUTHENTICATION_ERROR');
      expectError(await refresh(thief.refresh_token), 401, 'AUTHENTICATION_ERROR');
      expect(await refusedUpgrade(chatWsUrl(t.url, `?token=${thief.access_token}`))).toBe(401);
      const [row] = await t.sql<{ revoke_reason: string }>(
        'SELECT revoke_reason FROM sessions WHERE id = $1',
        [sidOf(thief.access_token)],
      );
      expect(row.revoke_reason).toBe('revoked_by_owner');

      // The owner's session is untouched.
      expect((await me(user.accessToken)).status).toBe(200);
      expect((await sessionsOf(user.accessToken)).map((s) => s.id)).toEqual([
        sidOf(user.accessToken),
      ]);
    });

    it("answers 404 for another user's session, an unknown id and an ended one (nothing revoked), 400 for a malformed id", async () => {
      const user = await registerUser(t);
      const other = await registerUser(t);
      const ended = await login(user);
      expect((await revoke(user.accessToken, sidOf(ended.access_token))).status).toBe(200);

      const foreign = await revoke(user.accessToken, sidOf(other.accessToken));
      const unknown = await revoke(user.accessToken, randomUUID());
      const again = await revoke(user.accessToken, sidOf(ended.access_token));
      for (const res of [foreign, unknown, again]) expectError(res, 404, 'RESOURCE_NOT_FOUND');
      expect(foreign.body.error).toEqual(unknown.body.error);
      expect((await me(other.accessToken)).status).toBe(200);

      expectError(await revoke(user.accessToken, 'not-a-uuid'), 400, 'VALIDATION_ERROR');
    });

    it('revoking the current session works like a logout', async () => {
      const user = await registerUser(t);
      expect((await revoke(user.accessToken, sidOf(user.accessToken))).status).toBe(200);
      expectError(await me(user.accessToken), 401, 'AUTHENTICATION_ERROR');
      expectError(await refresh(user.refreshToken), 401, 'AUTHENTICATION_ERROR');
    });

    it('needs a signed-in caller', async () => {
      expectError(await t.api().get('/api/v1/auth/sessions'), 401, 'AUTHENTICATION_ERROR');
      expectError(
        await t.api().delete(`/api/v1/auth/sessions/${randomUUID()}`),
        401,
        'AUTHENTICATION_ERROR',
      );
    });
  });

  describe('SSE streams of an ended session', () => {
    it('logout ends the open send stream and a resume stream of that session; the reply itself completes', async () => {
      const user = await registerUser(t);
      const stream = await streamingSend(user.accessToken);
      const start = stream.events.find((e) => e.type === 'start') as {
        message_id: string;
        conversation_id: string;
      };
      const resumed = await openSse(
        `${t.url}/api/v1/conversations/${start.conversation_id}/messages/${start.message_id}/stream`,
        { headers: bearer(user.accessToken) },
      );
      expect(resumed.status).toBe(200);
      await resumed.waitFor((f) => f.data?.type === 'content');

      const out = await t.api().post('/api/v1/auth/logout').set(bearer(user.accessToken)).send();
      expect(out.status).toBe(200);
      await expectEndedBySession(stream);
      await expectEndedBySession(resumed);

      // Only the reader stopped: the reply is generated to its end and stored.
      await until(async () => {
        const [row] = await t.sql<{ status: string }>('SELECT status FROM messages WHERE id = $1', [
          start.message_id,
        ]);
        return row.status === 'completed';
      }, 10_000);
    });

    it("an admin deactivating the user ends the user's open stream", async () => {
      const admin = await registerUser(t);
      await t.sql(`UPDATE users SET role = 'admin' WHERE id = $1`, [admin.id]);
      const user = await registerUser(t);
      const stream = await streamingSend(user.accessToken);
      const res = await t
        .api()
        .patch(`/api/v1/admin/users/${user.id}`)
        .set(bearer(admin.accessToken))
        .send({ is_active: false });
      expect(res.status).toBe(200);
      await expectEndedBySession(stream);
    });

    it("a password change ends the other sessions' streams, not the changing session's own", async () => {
      const user = await registerUser(t);
      const second = await login(user);
      const others = await streamingSend(user.accessToken);
      const own = await streamingSend(second.access_token);
      const res = await changePassword(
        t,
        second.access_token,
        user.password,
        'a-brand-new-password-1',
      );
      expect(res.status).toBe(200);
      await expectEndedBySession(others);
      await own.untilEnd(10_000);
      expect(own.events[own.events.length - 1]).toMatchObject({ type: 'end' });
    });
  });

  describe('access tokens without exp', () => {
    it('refuses a well-signed access token that has no exp (HTTP and WebSocket handshake)', async () => {
      const user = await registerUser(t);
      const { exp: _exp, ...claims } = claimsOf(user.accessToken);
      expect(_exp).toEqual(expect.any(Number));
      const forever = signHs256(claims);
      expectError(await me(forever), 401, 'AUTHENTICATION_ERROR');
      expect(await refusedUpgrade(chatWsUrl(t.url, `?token=${forever}`))).toBe(401);
      // The same claims with their exp pass: only the missing exp is refused.
      expect((await me(signHs256({ ...claims, exp: _exp }))).status).toBe(200);
    });
  });
});
