import type { Response } from 'supertest';
import { aConversation, aUser, bearer, registerUser, RegisteredUser } from '../factories';
import type { TestApp } from '../support/app';
import { fieldsOf } from '../support/expect';
import { useFakeApp } from '../support/fake-app';
import { chatWsUrl, closeAllWs, connectWs } from '../support/ws-client';
import { TITLES_OFF } from '../support/titles';

/**
 * One length rule for every text field (issue 13): limits count Unicode code points, as
 * PostgreSQL's char_length and varchar(n) do — not UTF-16 units (an emoji is 2) and not what
 * class-validator's Length counts (it leaves U+FE0E/U+FE0F out, so `system_message` let
 * 10,000 characters plus any number of variation selectors through while `content` did not).
 * Each field is filled exactly to its limit with astral characters, emoji with variation
 * selectors and ZWJ sequences (accepted, stored with char_length = the limit), then one over
 * (422 naming the field, nothing stored).
 */

/** Astral and combining code points: an emoji, a heart with VS16, a ZWJ family, a CJK. */
const MIXED = ['😀', '❤', '\uFE0F', '👨', '\u200D', '👩', '\u200D', '👧', '中', '𝒜'];
/** A letter outside the BMP (MATHEMATICAL SCRIPT CAPITAL A): usernames take letters only. */
const ASTRAL_LETTER = '𝒜';

/** Exactly `n` code points cycling through `alphabet`. */
function codePoints(n: number, alphabet: readonly string[] = MIXED): string {
  return Array.from({ length: n }, (_, i) => alphabet[i % alphabet.length]).join('');
}

/** `n` code points that class-validator's Length counted as about n / 2: hearts with VS16. */
const hearts = (n: number) => '❤\uFE0F'.repeat(Math.floor(n / 2)) + (n % 2 ? 'x' : '');

function expectRefused(res: Response, field: string, status = 422): void {
  expect([res.status, res.body.error?.code]).toEqual([status, 'VALIDATION_ERROR']);
  expect(fieldsOf(res)).toContain(field);
}

describe('One length rule: code points, as PostgreSQL counts (issue 13)', () => {
  const ctx = useFakeApp(
    {
      ...TITLES_OFF,
      // A 10,000-character message is more tokens than a day's normal quota.
      QUOTA_NORMAL_DAILY_TOKENS: '1000000',
      QUOTA_NORMAL_MONTHLY_TOKENS: '1000000',
    },
    { reset: true },
  );
  let t: TestApp;
  let user: RegisteredUser;

  beforeAll(async () => {
    t = ctx.t;
    user = await registerUser(t);
  });
  afterEach(() => closeAllWs());

  const charLength = async (sql: string, id: string): Promise<number> =>
    (await t.sql<{ n: number }>(sql, [id]))[0].n;

  describe('system_message (10,000)', () => {
    it.each([
      ['mixed astral', codePoints(10_000)],
      ['hearts with VS16', hearts(10_000)],
    ])('accepts exactly 10,000 code points (%s) and stores them whole', async (_what, text) => {
      const conv = await aConversation(t, user, { system_message: text });
      expect(conv.system_message).toBe(text);
      expect(
        await charLength(
          'SELECT char_length(system_message)::int AS n FROM conversations WHERE id = $1',
          conv.id,
        ),
      ).toBe(10_000);
    });

    it.each([
      ['mixed astral', codePoints(10_001)],
      // The case the old rule let through: class-validator counted these as 5,001.
      ['hearts with VS16', hearts(10_001)],
    ])('refuses 10,001 code points (%s) with 422 on system_message', async (_what, text) => {
      const res = await t
        .api()
        .post('/api/v1/conversations')
        .set(bearer(user.accessToken))
        .send({ system_message: text });
      expectRefused(res, 'system_message');
    });

    it('is held by the database too: a CHECK counts char_length', async () => {
      const conv = await aConversation(t, user);
      await expect(
        t.sql('UPDATE conversations SET system_message = $2 WHERE id = $1', [
          conv.id,
          hearts(10_001),
        ]),
      ).rejects.toThrow(/conversations_system_message_length_ck/);
    });
  });

  describe('content (10,000), sending and editing', () => {
    it('sends exactly 10,000 code points; 10,001 → 422 on content, nothing sent', async () => {
      // A model whose context holds 10,000 emoji-heavy code points.
      const conv = await aConversation(t, user, { model: 'gpt-4-turbo' });
      const send = (content: string) =>
        t
          .api()
          .post(`/api/v1/conversations/${conv.id}/messages`)
          .set(bearer(user.accessToken))
          .send({ content, max_tokens: 16 });
      ctx.fake.script({ text: 'ok' });
      const sent = await send(hearts(10_000));
      expect(sent.status).toBe(201);
      expect(
        await charLength(
          'SELECT char_length(content)::int AS n FROM messages WHERE id = $1',
          sent.body.data.user_message.id as string,
        ),
      ).toBe(10_000);

      expectRefused(await send(codePoints(10_001)), 'content');
      expectRefused(await send(hearts(10_001)), 'content');
      expect(ctx.fake.chatRequests).toHaveLength(1);
    });

    it('edits to exactly 10,000 code points; 10,001 → 422', async () => {
      const conv = await aConversation(t, user, { model: 'gpt-4-turbo' });
      ctx.fake.script({ text: 'ok' });
      const sent = await t
        .api()
        .post(`/api/v1/conversations/${conv.id}/messages`)
        .set(bearer(user.accessToken))
        .send({ content: 'short' });
      const id = sent.body.data.user_message.id as string;
      const edit = (content: string) =>
        t.api().put(`/api/v1/messages/${id}`).set(bearer(user.accessToken)).send({ content });
      expect((await edit(codePoints(10_000))).status).toBe(200);
      expect(
        await charLength('SELECT char_length(content)::int AS n FROM messages WHERE id = $1', id),
      ).toBe(10_000);
      expectRefused(await edit(hearts(10_001)), 'content');
    });
  });

  describe('title (200)', () => {
    it('creates and renames with exactly 200 code points; 201 → 422 on title', async () => {
      const conv = await aConversation(t, user, { title: codePoints(200) });
      expect(
        await charLength(
          'SELECT char_length(title)::int AS n FROM conversations WHERE id = $1',
          conv.id,
        ),
      ).toBe(200);
      const rename = (title: string) =>
        t
          .api()
          .put(`/api/v1/conversations/${conv.id}`)
          .set(bearer(user.accessToken))
          .send({ title });
      expect((await rename(hearts(200))).status).toBe(200);
      expectRefused(await rename(hearts(201)), 'title');
      const create = await t
        .api()
        .post('/api/v1/conversations')
        .set(bearer(user.accessToken))
        .send({ title: codePoints(201) });
      expectRefused(create, 'title');
    });
  });

  describe('search (200, a query: 400)', () => {
    it('takes 200 code points and refuses 201', async () => {
      const search = (q: string) =>
        t
          .api()
          .get(`/api/v1/conversations?search=${encodeURIComponent(q)}`)
          .set(bearer(user.accessToken));
      expect((await search(codePoints(200))).status).toBe(200);
      expectRefused(await search(hearts(201)), 'search', 400);
    });
  });

  describe('username (3–50) and password (8–128)', () => {
    const register = (body: { username: string; email: string; password: string }) =>
      t
        .api()
        .post('/api/v1/auth/register')
        .send({ ...body, confirm_password: body.password });

    it('registers a username of exactly 50 astral letters (and of 3); 51 or 2 → 422', async () => {
      for (const n of [50, 3]) {
        const input = aUser({ username: ASTRAL_LETTER.repeat(n - 1) + String(n % 10) });
        const res = await register(input);
        expect([n, res.status]).toEqual([n, 201]);
        expect(
          await charLength(
            'SELECT char_length(username)::int AS n FROM users WHERE id = $1',
            res.body.data.user.id as string,
          ),
        ).toBe(n);
      }
      expectRefused(await register(aUser({ username: ASTRAL_LETTER.repeat(51) })), 'username');
      expectRefused(await register(aUser({ username: ASTRAL_LETTER.repeat(2) })), 'username');
    });

    it('takes a password of exactly 8 and of 128 code points (logs in with it); 7 or 129 → 422', async () => {
      for (const password of [hearts(8), codePoints(128)]) {
        const input = aUser({ password });
        expect((await register(input)).status).toBe(201);
        const login = await t
          .api()
          .post('/api/v1/auth/login')
          .send({ username: input.username, password });
        expect(login.status).toBe(200);
      }
      expectRefused(await register(aUser({ password: hearts(7) })), 'password');
      expectRefused(await register(aUser({ password: codePoints(129) })), 'password');
    });
  });

  describe('WebSocket request_id (200, the idempotency key column)', () => {
    it('takes 200 emoji (400 UTF-16 units) and refuses 201', async () => {
      const conv = await aConversation(t, user);
      ctx.fake.setDefault({ text: 'ok' });
      const client = await connectWs(
        chatWsUrl(t.url, `?token=${encodeURIComponent(user.accessToken)}`),
      );
      const ok = '😀'.repeat(200);
      client.send({
        type: 'chat_message',
        conversation_id: conv.id,
        content: 'hi',
        request_id: ok,
      });
      const start = await client.waitForType('message_start');
      expect(start.request_id).toBe(ok);
      const stored = await t.sql<{ n: number }>(
        'SELECT char_length(key)::int AS n FROM idempotency_keys WHERE user_id = $1 AND key = $2',
        [user.id, ok],
      );
      expect(stored).toEqual([{ n: 200 }]);

      client.send({
        type: 'chat_message',
        conversation_id: conv.id,
        content: 'hi',
        request_id: '😀'.repeat(201),
      });
      const error = await client.waitFor((f) => f.type === 'error');
      expect(error.error.code).toBe('VALIDATION_ERROR');
    });
  });
});
