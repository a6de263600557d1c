import { randomUUID } from 'node:crypto';
import { ModelsCatalog } from '../../src/modules/llm/models.catalog';
import {
  aConversation,
  bearer,
  ConversationData,
  insertMessage,
  registerUser,
  RegisteredUser,
} from '../factories';
import { bootApp, TestApp } from '../support/app';
import { ISO_UTC, UUID, expectError, fieldsOf, pause } from '../support/expect';

const CONVERSATION_FIELDS = [
  'created_at',
  'current_message_id',
  'id',
  'is_archived',
  'last_message',
  'message_count',
  'model',
  'system_message',
  'title',
  'updated_at',
];
const MESSAGE_FIELDS = [
  'attachments',
  'content',
  'conversation_id',
  'created_at',
  'id',
  'model',
  'parent_id',
  'role',
  'sibling_count',
  'sibling_index',
  'status',
  'tokens_used',
  'updated_at',
];

interface ConversationRow {
  user_id: string;
  title: string;
  model: string;
  system_message: string | null;
  is_archived: boolean;
  message_count: number;
  updated_at: Date;
}

describe('Conversations (/conversations)', () => {
  let t: TestApp;
  let modelIds: string[];
  let defaultModel: string;

  beforeAll(async () => {
    // Many users and requests in one file: keep any rate limit out of the way.
    t = await bootApp({
      RATE_LIMIT_AUTH: '10000',
      RATE_LIMIT_DEFAULT: '100000',
      RATE_LIMIT_MESSAGES: '10000',
    });
    const models = await t.api().get('/api/v1/models');
    expect(models.status).toBe(200);
    modelIds = (models.body.data.models as { id: string }[]).map((m) => m.id);
    defaultModel = t.app.get(ModelsCatalog).defaultModelId;
  });
  afterAll(async () => {
    await t?.close();
  });

  const base = '/api/v1/conversations';
  const create = (user: RegisteredUser, body: unknown) =>
    t
      .api()
      .post(base)
      .set(bearer(user.accessToken))
      .send(body as object);
  const list = (user: RegisteredUser, query: Record<string, string | number | boolean> = {}) =>
    t.api().get(base).set(bearer(user.accessToken)).query(query);
  const detail = (user: RegisteredUser, id: string) =>
    t.api().get(`${base}/${id}`).set(bearer(user.accessToken));
  const update = (user: RegisteredUser, id: string, body: unknown) =>
    t
      .api()
      .put(`${base}/${id}`)
      .set(bearer(user.accessToken))
      .send(body as object);
  const remove = (user: RegisteredUser, id: string) =>
    t.api().delete(`${base}/${id}`).set(bearer(user.accessToken));
  const archive = (user: RegisteredUser, id: string) =>
    t.api().post(`${base}/${id}/archive`).set(bearer(user.accessToken));
  const unarchive = (user: RegisteredUser, id: string) =>
    t.api().post(`${base}/${id}/unarchive`).set(bearer(user.accessToken));

  const rowOf = async (id: string): Promise<ConversationRow | undefined> => {
    const [row] = await t.sql<ConversationRow>(
      `SELECT user_id, title, model, system_message, is_archived, message_count, updated_at
         FROM conversations WHERE id = $1`,
      [id],
    );
    return row;
  };
  const countOf = async (query: string, params: unknown[]): Promise<number> => {
    const [{ n }] = await t.sql<{ n: string }>(query, params);
    return Number(n);
  };
  const conversationsOf = (userId: string) =>
    countOf('SELECT count(*) AS n FROM conversations WHERE user_id = $1', [userId]);
  const messagesOf = (conversationId: string) =>
    countOf('SELECT count(*) AS n FROM messages WHERE conversation_id = $1', [conversationId]);
  /** Ids of the user's list, in the order the API gives them. */
  const idsOf = async (
    user: RegisteredUser,
    query: Record<string, string | number | boolean> = {},
  ): Promise<string[]> => {
    const res = await list(user, { size: 100, ...query });
    expect(res.status).toBe(200);
    return (res.body.data.conversations as ConversationData[]).map((c) => c.id);
  };

  describe('POST /conversations', () => {
    it('creates with the defaults: 201, title "New conversation", the catalog default model', async () => {
      const user = await registerUser(t);
      const res = await create(user, {});
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ success: true, message: expect.any(String) });
      const data = res.body.data;
      expect(Object.keys(data).sort()).toEqual(CONVERSATION_FIELDS);
      expect(data).toEqual({
        id: expect.stringMatching(UUID),
        title: 'New conversation',
        model: defaultModel,
        system_message: null,
        current_message_id: null,
        message_count: 0,
        is_archived: false,
        created_at: expect.stringMatching(ISO_UTC),
        updated_at: expect.stringMatching(ISO_UTC),
        last_message: null,
      });
      expect(modelIds).toContain(data.model);
      expect(await rowOf(data.id)).toMatchObject({
        user_id: user.id,
        title: 'New conversation',
        model: defaultModel,
        system_message: null,
        is_archived: false,
        message_count: 0,
      });
    });

    it('takes an explicit title, a listed model and a system message', async () => {
      const user = await registerUser(t);
      const model = modelIds.find((id) => id !== defaultModel) ?? modelIds[0];
      const body = {
        title: 'Trip to 北京',
        model,
        system_message: 'You are a terse travel agent.',
      };
      const res = await create(user, body);
      expect(res.status).toBe(201);
      expect(res.body.data).toMatchObject({ ...body, message_count: 0, is_archived: false });
      expect(await rowOf(res.body.data.id)).toMatchObject({ ...body, user_id: user.id });

      const got = await detail(user, res.body.data.id);
      expect(got.status).toBe(200);
      expect(got.body.data).toMatchObject(body);
    });

    it('accepts every model the catalog lists', async () => {
      const user = await registerUser(t);
      for (const model of modelIds) {
        const res = await create(user, { model });
        expect(res.status).toBe(201);
        expect(res.body.data.model).toBe(model);
      }
    });

    it('accepts a title of exactly 200 characters, Chinese included', async () => {
      const user = await registerUser(t);
      for (const title of ['t'.repeat(200), '聊'.repeat(200)]) {
        const res = await create(user, { title });
        expect(res.status).toBe(201);
        expect(res.body.data.title).toBe(title);
        expect((await rowOf(res.body.data.id))?.title).toBe(title);
      }
    });

    it.each<[string, unknown]>([
      ['201 characters', 'x'.repeat(201)],
      ['201 Chinese characters', '聊'.repeat(201)],
      ['an empty string', ''],
      ['only spaces', '   '],
      ['a number', 42],
      ['null', null],
    ])('rejects a title of %s with 422 naming title, creating nothing', async (_, title) => {
      const user = await registerUser(t);
      const res = await create(user, { title });
      if (title === null) {
        // null may count as "not given" (the default title) or as invalid, but never a 5xx.
        expect([201, 422]).toContain(res.status);
        if (res.status === 201) {
          expect(res.body.data.title).toBe('New conversation');
          return;
        }
      }
      expectError(res, 422, 'VALIDATION_ERROR');
      expect(fieldsOf(res)).toEqual(['title']);
      expect(await conversationsOf(user.id)).toBe(0);
    });

    it('counts title length in code points, as the column does (never a 5xx)', async () => {
      // U+2764 U+FE0F: one visible heart, two code points; varchar(200) counts code points.
      const user = await registerUser(t);
      const fits = `${'a'.repeat(198)}\u2764\uFE0F`;
      const ok = await create(user, { title: fits });
      expect(ok.status).toBe(201);
      expect((await rowOf(ok.body.data.id))?.title).toBe(fits);

      const over = await create(user, { title: `${'a'.repeat(199)}\u2764\uFE0F` });
      expectError(over, 422, 'VALIDATION_ERROR');
      expect(fieldsOf(over)).toEqual(['title']);
      expect(await conversationsOf(user.id)).toBe(1);
    });

    it.each<[string, Record<string, string>, string]>([
      ['title', { title: 'a\u0000b' }, 'title'],
      ['system_message', { system_message: 'be\u0000nice' }, 'system_message'],
    ])('rejects a NUL character in %s with 422 (never a 5xx)', async (_, body, field) => {
      const user = await registerUser(t);
      const res = await create(user, body);
      expectError(res, 422, 'VALIDATION_ERROR');
      expect(fieldsOf(res)).toEqual([field]);
      expect(await conversationsOf(user.id)).toBe(0);
    });

    it('rejects an unknown model with 422 naming model, creating nothing', async () => {
      const user = await registerUser(t);
      const res = await create(user, { title: 'x', model: 'gpt-17-ultra' });
      expectError(res, 422, 'VALIDATION_ERROR');
      expect(fieldsOf(res)).toEqual(['model']);
      expect(await conversationsOf(user.id)).toBe(0);
    });

    it.each<[string, Record<string, unknown>, string]>([
      ['user_id', { title: 'x', user_id: randomUUID() }, 'user_id'],
      ['is_archived', { title: 'x', is_archived: true }, 'is_archived'],
      ['message_count', { title: 'x', message_count: 5 }, 'message_count'],
      ['an unknown field', { title: 'x', colour: 'blue' }, 'colour'],
    ])('rejects %s in the body with 422 naming it, creating nothing', async (_, body, field) => {
      const user = await registerUser(t);
      const res = await create(user, body);
      expectError(res, 422, 'VALIDATION_ERROR');
      expect(fieldsOf(res)).toContain(field);
      expect(await conversationsOf(user.id)).toBe(0);
    });

    it('rejects a system message that is not text with 422', async () => {
      const user = await registerUser(t);
      const res = await create(user, { system_message: 7 });
      expectError(res, 422, 'VALIDATION_ERROR');
      expect(fieldsOf(res)).toEqual(['system_message']);
    });

    it('answers 400 to a body that is not a JSON object', async () => {
      const user = await registerUser(t);
      const res = await t
        .api()
        .post(base)
        .set(bearer(user.accessToken))
        .set('Content-Type', 'application/json')
        .send('{"title": ');
      expectError(res, 400, 'VALIDATION_ERROR');
      expect(await conversationsOf(user.id)).toBe(0);
    });

    it('answers 401 without a token or with a bad one', async () => {
      const none = await t.api().post(base).send({ title: 'x' });
      expectError(none, 401, 'AUTHENTICATION_ERROR');
      const bad = await t
        .api()
        .post(base)
        .set('Authorization', 'Bearer not.a.jwt')
        .send({ title: 'x' });
      expectError(bad, 401, 'AUTHENTICATION_ERROR');
    });
  });

  describe('GET /conversations', () => {
    it('answers the envelope with conversations and pagination, last_message from the newest message', async () => {
      const user = await registerUser(t);
      const empty = await aConversation(t, user, { title: 'empty one' });
      const chat = await aConversation(t, user, { title: 'chatty one' });
      await insertMessage(t, {
        conversationId: chat.id,
        userId: user.id,
        role: 'user',
        content: 'first question',
      });
      const newest = await insertMessage(t, {
        conversationId: chat.id,
        userId: user.id,
        role: 'assistant',
        content: 'the answer',
      });

      const res = await list(user);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ success: true, message: expect.any(String) });
      expect(Object.keys(res.body.data).sort()).toEqual(['conversations', 'pagination']);
      expect(res.body.data.pagination).toEqual({ page: 1, size: 20, total: 2, pages: 1 });
      const items = res.body.data.conversations as ConversationData[];
      expect(items.map((c) => c.id)).toEqual([chat.id, empty.id]);
      for (const item of items) {
        expect(Object.keys(item).sort()).toEqual(CONVERSATION_FIELDS);
        expect(item.created_at).toMatch(ISO_UTC);
        expect(item.updated_at).toMatch(ISO_UTC);
      }
      expect(items[0]).toMatchObject({
        id: chat.id,
        title: 'chatty one',
        model: chat.model,
        message_count: 2,
        is_archived: false,
        last_message: {
          content: 'the answer',
          role: 'assistant',
          created_at: newest.created_at.toISOString(),
        },
      });
      expect(Object.keys(items[0].last_message ?? {}).sort()).toEqual([
        'content',
        'created_at',
        'role',
      ]);
      expect(items[1]).toMatchObject({ id: empty.id, message_count: 0, last_message: null });
    });

    it('is empty for a new user, with total 0', async () => {
      const user = await registerUser(t);
      const res = await list(user);
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual({
        conversations: [],
        pagination: { page: 1, size: 20, total: 0, pages: 0 },
      });
    });

    it('answers 401 without a token', async () => {
      expectError(await t.api().get(base), 401, 'AUTHENTICATION_ERROR');
    });

    it('puts the newest activity first: creating, adding, editing and deleting messages, updating', async () => {
      const user = await registerUser(t);
      const a = await aConversation(t, user, { title: 'A' });
      const b = await aConversation(t, user, { title: 'B' });
      const c = await aConversation(t, user, { title: 'C' });
      expect(await idsOf(user)).toEqual([c.id, b.id, a.id]);

      const before = (await rowOf(a.id))?.updated_at;
      await pause();
      const inA = await insertMessage(t, {
        conversationId: a.id,
        userId: user.id,
        role: 'user',
        content: 'hello in A',
      });
      expect(await idsOf(user)).toEqual([a.id, c.id, b.id]);
      expect((await rowOf(a.id))?.updated_at.getTime()).toBeGreaterThan(before?.getTime() ?? 0);

      await pause();
      expect((await update(user, b.id, { title: 'B renamed' })).status).toBe(200);
      expect(await idsOf(user)).toEqual([b.id, a.id, c.id]);

      const inC = await insertMessage(t, {
        conversationId: c.id,
        userId: user.id,
        role: 'user',
        content: 'hello in C',
      });
      expect(await idsOf(user)).toEqual([c.id, b.id, a.id]);

      await pause();
      const edited = await t
        .api()
        .put(`/api/v1/messages/${inA.id}`)
        .set(bearer(user.accessToken))
        .send({ content: 'hello again in A' });
      expect(edited.status).toBe(200);
      expect(await idsOf(user)).toEqual([a.id, c.id, b.id]);

      await pause();
      expect((await archive(user, b.id)).status).toBe(200);
      expect((await unarchive(user, b.id)).status).toBe(200);
      expect(await idsOf(user)).toEqual([b.id, a.id, c.id]);

      await pause();
      const deleted = await t
        .api()
        .delete(`/api/v1/messages/${inC.id}`)
        .set(bearer(user.accessToken));
      expect(deleted.status).toBe(200);
      expect(await idsOf(user)).toEqual([c.id, b.id, a.id]);

      // updated_at in the answer follows the same order.
      const items = (await list(user)).body.data.conversations as ConversationData[];
      const times = items.map((i) => Date.parse(i.updated_at));
      expect([...times].sort((x, y) => y - x)).toEqual(times);
    });

    describe('pagination', () => {
      let user: RegisteredUser;
      let all: string[];

      beforeAll(async () => {
        user = await registerUser(t);
        for (let i = 1; i <= 5; i += 1) await aConversation(t, user, { title: `page item ${i}` });
        all = await idsOf(user);
        expect(all).toHaveLength(5);
      });

      it('pages through everything with size=1, each once, in list order', async () => {
        const seen: string[] = [];
        for (let page = 1; page <= 5; page += 1) {
          const res = await list(user, { page, size: 1 });
          expect(res.status).toBe(200);
          expect(res.body.data.pagination).toEqual({ page, size: 1, total: 5, pages: 5 });
          expect(res.body.data.conversations).toHaveLength(1);
          seen.push(res.body.data.conversations[0].id);
        }
        expect(seen).toEqual(all);
      });

      it('splits 5 into pages of 2, 2 and 1', async () => {
        const pages = await Promise.all([1, 2, 3].map((page) => list(user, { page, size: 2 })));
        expect(pages.map((p) => (p.body.data.conversations as unknown[]).length)).toEqual([
          2, 2, 1,
        ]);
        for (const p of pages) expect(p.body.data.pagination).toMatchObject({ total: 5, pages: 3 });
        expect(
          pages.flatMap((p) => (p.body.data.conversations as ConversationData[]).map((c) => c.id)),
        ).toEqual(all);
      });

      it('answers a page past the end with an empty list and the right total and pages', async () => {
        const res = await list(user, { page: 4, size: 2 });
        expect(res.status).toBe(200);
        expect(res.body.data).toEqual({
          conversations: [],
          pagination: { page: 4, size: 2, total: 5, pages: 3 },
        });
        const far = await list(user, { page: 1000, size: 100 });
        expect(far.status).toBe(200);
        expect(far.body.data.conversations).toEqual([]);
        expect(far.body.data.pagination).toEqual({ page: 1000, size: 100, total: 5, pages: 1 });
      });

      it('accepts size 1 and 100', async () => {
        expect((await list(user, { size: 1 })).body.data.pagination.size).toBe(1);
        const hundred = await list(user, { size: 100 });
        expect(hundred.status).toBe(200);
        expect(hundred.body.data.pagination).toEqual({ page: 1, size: 100, total: 5, pages: 1 });
      });

      it.each<[string, Record<string, string>]>([
        ['size=0', { size: '0' }],
        ['size=101', { size: '101' }],
        ['size=abc', { size: 'abc' }],
        ['size=-1', { size: '-1' }],
        ['size=1.5', { size: '1.5' }],
        ['page=0', { page: '0' }],
        ['page=-1', { page: '-1' }],
        ['page=abc', { page: 'abc' }],
      ])('answers %s with 400 VALIDATION_ERROR', async (_, query) => {
        const res = await list(user, query);
        expectError(res, 400, 'VALIDATION_ERROR');
        expect(fieldsOf(res)).toEqual(Object.keys(query));
      });
    });

    describe('archived', () => {
      let user: RegisteredUser;
      let open: ConversationData;
      let archived: ConversationData;

      beforeAll(async () => {
        user = await registerUser(t);
        archived = await aConversation(t, user, { title: 'old stuff' });
        open = await aConversation(t, user, { title: 'current stuff' });
        expect((await archive(user, archived.id)).status).toBe(200);
      });

      it('leaves archived ones out by default and with archived=false', async () => {
        for (const query of [{}, { archived: 'false' }] as Record<string, string>[]) {
          const res = await list(user, query);
          expect(res.status).toBe(200);
          expect((res.body.data.conversations as ConversationData[]).map((c) => c.id)).toEqual([
            open.id,
          ]);
          expect(res.body.data.pagination).toMatchObject({ total: 1, pages: 1 });
        }
      });

      it('includes both archived and not with archived=true', async () => {
        const res = await list(user, { archived: 'true' });
        expect(res.status).toBe(200);
        const items = res.body.data.conversations as ConversationData[];
        // Archiving is activity too: the archived one is the newest.
        expect(items.map((c) => [c.id, c.is_archived])).toEqual([
          [archived.id, true],
          [open.id, false],
        ]);
        expect(res.body.data.pagination).toMatchObject({ total: 2, pages: 1 });
      });

      it.each(['True', 'TRUE', '1'])(
        'reads archived=%s (Python and other clients) as true',
        async (value) => {
          const res = await list(user, { archived: value });
          expect(res.status).toBe(200);
          expect(res.body.data.pagination).toMatchObject({ total: 2 });
        },
      );

      it.each(['maybe', 'yes', '2', ''])('answers archived=%s with 400', async (value) => {
        const res = await list(user, { archived: value });
        expectError(res, 400, 'VALIDATION_ERROR');
        expect(fieldsOf(res)).toEqual(['archived']);
      });
    });

    describe('search', () => {
      let user: RegisteredUser;
      let other: RegisteredUser;
      const c: Record<string, ConversationData> = {};

      const found = async (search: string, extra: Record<string, string> = {}) => {
        const res = await list(user, { search, size: 100, ...extra });
        expect(res.status).toBe(200);
        const items = res.body.data.conversations as ConversationData[];
        expect(res.body.data.pagination.total).toBe(items.length);
        return items.map((i) => i.id).sort();
      };
      const ids = (...names: string[]) => names.map((n) => c[n].id).sort();

      beforeAll(async () => {
        user = await registerUser(t);
        other = await registerUser(t);
        const titles: Record<string, string> = {
          hello: 'Hello World planning',
          zh: '聊天助手的设计',
          percent: 'rate 100% done',
          nopercent: 'rate 100 done',
          underscore: 'snake_case names',
          nounderscore: 'snakeXcase names',
          quote: "it's fine",
          noquote: 'its fine',
          backslash: 'C:\\temp path',
          nobackslash: 'C:temp path',
          plain: 'groceries',
          zhmsg: 'untitled',
          asciimsg: 'another untitled',
          archived: 'archived hello',
        };
        for (const [name, title] of Object.entries(titles)) {
          c[name] = await aConversation(t, user, { title });
        }
        await insertMessage(t, {
          conversationId: c.zhmsg.id,
          userId: user.id,
          role: 'user',
          content: '我们来讨论聊天助手的功能',
        });
        await insertMessage(t, {
          conversationId: c.asciimsg.id,
          userId: user.id,
          role: 'user',
          content: 'Please explain QUANTUM tunnelling',
        });
        await insertMessage(t, {
          conversationId: c.asciimsg.id,
          userId: user.id,
          role: 'assistant',
          content: 'Quantum tunnelling is when a particle crosses a barrier.',
        });
        await archive(user, c.archived.id);

        // Another user with titles and messages that match every search below.
        for (const title of ['Hello there', '聊天助手', '100% sure', 'a_b', "o'clock", 'x\\y']) {
          const conv = await aConversation(t, other, { title });
          await insertMessage(t, {
            conversationId: conv.id,
            userId: other.id,
            role: 'user',
            content: `quantum 天助 ${title}`,
          });
        }
      });

      it('matches the title, case-insensitively', async () => {
        for (const s of ['hello', 'HELLO', 'hElLo', 'World Plan']) {
          expect(await found(s)).toEqual(ids('hello'));
        }
      });

      it('matches message text, case-insensitively, counting a conversation once', async () => {
        for (const s of ['quantum', 'QUANTUM', 'Tunnelling']) {
          expect(await found(s)).toEqual(ids('asciimsg'));
        }
        const res = await list(user, { search: 'quantum' });
        expect(res.body.data.pagination).toEqual({ page: 1, size: 20, total: 1, pages: 1 });
        expect(res.body.data.conversations[0]).toMatchObject({
          id: c.asciimsg.id,
          message_count: 2,
          last_message: { role: 'assistant', content: expect.stringContaining('barrier') },
        });
      });

      it('finds a Chinese substring in the title and in message text', async () => {
        expect(await found('天助')).toEqual(ids('zh', 'zhmsg'));
        expect(await found('聊天助手')).toEqual(ids('zh', 'zhmsg'));
        expect(await found('的设计')).toEqual(ids('zh'));
        expect(await found('功能')).toEqual(ids('zhmsg'));
      });

      it("never shows another user's matching conversations", async () => {
        const theirs = new Set(await idsOf(other));
        expect(theirs.size).toBe(6);
        for (const s of ['hello', '天助', 'quantum', '%', '_', "'", '\\', 'o']) {
          const mine = await found(s, { archived: 'true' });
          expect(mine.filter((id) => theirs.has(id))).toEqual([]);
        }
        expect(await found('there')).toEqual([]);
        expect(await found('sure')).toEqual([]);
      });

      it('takes % _ quote and backslash literally', async () => {
        expect(await found('%')).toEqual(ids('percent'));
        expect(await found('100%')).toEqual(ids('percent'));
        expect(await found('_')).toEqual(ids('underscore'));
        expect(await found('e_c')).toEqual(ids('underscore'));
        expect(await found("'")).toEqual(ids('quote'));
        expect(await found("it's")).toEqual(ids('quote'));
        expect(await found('\\')).toEqual(ids('backslash'));
        expect(await found(':\\t')).toEqual(ids('backslash'));
        expect(await found('%%')).toEqual([]);
        expect(await found('\\%')).toEqual([]);
      });

      it('never answers 5xx for hostile search text', async () => {
        for (const s of [
          "'; DROP TABLE conversations; --",
          "' OR '1'='1",
          '\\\\',
          '[a-z]*',
          '$1',
          '😀',
          '\u0000',
          'a\u0000b',
        ]) {
          const res = await list(user, { search: s });
          expect(res.status).toBeLessThan(500);
          if (res.status === 200) expect(res.body.data.conversations).toEqual([]);
          else expectError(res, 400, 'VALIDATION_ERROR');
        }
        expect(await conversationsOf(user.id)).toBe(Object.keys(c).length);
      });

      it('respects archived: archived matches only with archived=true', async () => {
        expect(await found('hello')).toEqual(ids('hello'));
        expect(await found('hello', { archived: 'true' })).toEqual(ids('hello', 'archived'));
      });

      it('answers a search that matches nothing with an empty page', async () => {
        const res = await list(user, { search: 'no such words anywhere' });
        expect(res.status).toBe(200);
        expect(res.body.data).toEqual({
          conversations: [],
          pagination: { page: 1, size: 20, total: 0, pages: 0 },
        });
      });

      it('pages search results', async () => {
        const all = await found('in', { archived: 'true' });
        expect(all.length).toBeGreaterThanOrEqual(2);
        const first = await list(user, { search: 'in', size: 1, archived: 'true' });
        expect(first.body.data.pagination).toEqual({
          page: 1,
          size: 1,
          total: all.length,
          pages: all.length,
        });
      });

      it('treats a blank search as none', async () => {
        expect(await found('   ')).toEqual((await idsOf(user)).sort());
      });

      it('answers a search of more than 200 characters with 400', async () => {
        const res = await list(user, { search: 'q'.repeat(201) });
        expectError(res, 400, 'VALIDATION_ERROR');
        expect(fieldsOf(res)).toEqual(['search']);
      });
    });
  });

  describe('GET /conversations/:id', () => {
    it('answers the conversation with its messages, oldest first', async () => {
      const user = await registerUser(t);
      const conv = await aConversation(t, user, {
        title: 'detail',
        system_message: 'Be brief.',
      });
      const q = await insertMessage(t, {
        conversationId: conv.id,
        userId: user.id,
        role: 'user',
        content: 'What is 2+2?',
        tokensUsed: 7,
      });
      const a = await insertMessage(t, {
        conversationId: conv.id,
        userId: user.id,
        role: 'assistant',
        content: '4',
        parentId: q.id,
        model: conv.model,
        tokensUsed: 1,
      });
      const q2 = await insertMessage(t, {
        conversationId: conv.id,
        userId: user.id,
        role: 'user',
        content: 'And 3+3?',
        parentId: a.id,
        tokensUsed: 6,
      });

      const res = await detail(user, conv.id);
      expect(res.status).toBe(200);
      const data = res.body.data;
      expect(Object.keys(data).sort()).toEqual([...CONVERSATION_FIELDS, 'messages'].sort());
      expect(data).toMatchObject({
        id: conv.id,
        title: 'detail',
        model: conv.model,
        system_message: 'Be brief.',
        message_count: 3,
        is_archived: false,
        created_at: conv.created_at,
        last_message: {
          content: 'And 3+3?',
          role: 'user',
          created_at: q2.created_at.toISOString(),
        },
      });
      const messages = data.messages as Record<string, unknown>[];
      expect(messages.map((m) => m.id)).toEqual([q.id, a.id, q2.id]);
      for (const m of messages) {
        expect(Object.keys(m).sort()).toEqual(MESSAGE_FIELDS);
        expect(m.created_at).toMatch(ISO_UTC);
        expect(m.updated_at).toMatch(ISO_UTC);
      }
      expect(messages[0]).toEqual({
        id: q.id,
        conversation_id: conv.id,
        parent_id: null,
        sibling_index: 1,
        sibling_count: 1,
        role: 'user',
        content: 'What is 2+2?',
        status: 'completed',
        model: null,
        tokens_used: 7,
        attachments: [],
        created_at: q.created_at.toISOString(),
        updated_at: q.updated_at.toISOString(),
      });
      expect(messages[1]).toMatchObject({
        parent_id: q.id,
        role: 'assistant',
        content: '4',
        model: conv.model,
        tokens_used: 1,
      });
      expect(messages[2]).toMatchObject({ parent_id: a.id, content: 'And 3+3?', tokens_used: 6 });
    });

    it('answers an empty conversation with no messages', async () => {
      const user = await registerUser(t);
      const conv = await aConversation(t, user);
      const res = await detail(user, conv.id);
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({ id: conv.id, messages: [], last_message: null });
    });

    it('accepts the id in upper case', async () => {
      const user = await registerUser(t);
      const conv = await aConversation(t, user);
      const res = await detail(user, conv.id.toUpperCase());
      expect(res.status).toBe(200);
      expect(res.body.data.id).toBe(conv.id);
    });

    it.each(['not-a-uuid', '123', `${randomUUID()}x`])(
      'answers a malformed id (%s) with 400',
      async (id) => {
        const user = await registerUser(t);
        expectError(await detail(user, id), 400, 'VALIDATION_ERROR');
      },
    );

    it('answers an unknown id with 404', async () => {
      const user = await registerUser(t);
      expectError(await detail(user, randomUUID()), 404, 'RESOURCE_NOT_FOUND');
    });

    it("answers another user's conversation with 404, exactly like an unknown one, touching nothing", async () => {
      const owner = await registerUser(t);
      const stranger = await registerUser(t);
      const conv = await aConversation(t, owner, { title: 'private' });
      await insertMessage(t, {
        conversationId: conv.id,
        userId: owner.id,
        role: 'user',
        content: 'secret',
      });
      const before = await rowOf(conv.id);

      const res = await detail(stranger, conv.id);
      expectError(res, 404, 'RESOURCE_NOT_FOUND');
      const unknown = await detail(stranger, randomUUID());
      expect(res.body.error).toEqual(unknown.body.error);
      expect(JSON.stringify(res.body)).not.toContain('secret');
      expect(JSON.stringify(res.body)).not.toContain('private');
      expect(await rowOf(conv.id)).toEqual(before);
      expect(await idsOf(stranger)).toEqual([]);
    });

    it('answers 401 without a token', async () => {
      expectError(await t.api().get(`${base}/${randomUUID()}`), 401, 'AUTHENTICATION_ERROR');
    });

    it('answers a 404 in Chinese for Accept-Language zh-CN, code unchanged', async () => {
      const user = await registerUser(t);
      const id = randomUUID();
      const en = await detail(user, id);
      const zh = await t
        .api()
        .get(`${base}/${id}`)
        .set(bearer(user.accessToken))
        .set('Accept-Language', 'zh-CN');
      expectError(en, 404, 'RESOURCE_NOT_FOUND');
      expectError(zh, 404, 'RESOURCE_NOT_FOUND');
      expect(zh.body.error.message).toMatch(/[\u4e00-\u9fff]/);
      expect(en.body.error.message).not.toMatch(/[\u4e00-\u9fff]/);
    });
  });

  describe('PUT /conversations/:id', () => {
    let user: RegisteredUser;
    let conv: ConversationData;

    beforeEach(async () => {
      user = await registerUser(t);
      conv = await aConversation(t, user, { title: 'before' });
      await pause();
    });

    it('changes the title, keeps the rest, moves updated_at', async () => {
      const res = await update(user, conv.id, { title: 'after' });
      expect(res.status).toBe(200);
      expect(Object.keys(res.body.data).sort()).toEqual(CONVERSATION_FIELDS);
      expect(res.body.data).toMatchObject({
        id: conv.id,
        title: 'after',
        model: conv.model,
        is_archived: false,
        message_count: 0,
        created_at: conv.created_at,
      });
      expect(Date.parse(res.body.data.updated_at)).toBeGreaterThan(Date.parse(conv.updated_at));
      expect(await rowOf(conv.id)).toMatchObject({ title: 'after', is_archived: false });
    });

    it('trims the title', async () => {
      const res = await update(user, conv.id, { title: '  spaced  ' });
      expect(res.status).toBe(200);
      expect((await rowOf(conv.id))?.title).toBe('spaced');
    });

    it('archives and unarchives through is_archived alone', async () => {
      const res = await update(user, conv.id, { is_archived: true });
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({ title: 'before', is_archived: true });
      expect(await rowOf(conv.id)).toMatchObject({ title: 'before', is_archived: true });
      expect(await idsOf(user)).toEqual([]);

      const back = await update(user, conv.id, { is_archived: false });
      expect(back.status).toBe(200);
      expect(back.body.data.is_archived).toBe(false);
      expect(await idsOf(user)).toEqual([conv.id]);
    });

    it('changes both at once and answers last_message', async () => {
      await insertMessage(t, {
        conversationId: conv.id,
        userId: user.id,
        role: 'user',
        content: 'kept',
      });
      const res = await update(user, conv.id, { title: 'both', is_archived: true });
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({
        title: 'both',
        is_archived: true,
        message_count: 1,
        last_message: { content: 'kept', role: 'user' },
      });
      expect(await rowOf(conv.id)).toMatchObject({ title: 'both', is_archived: true });
    });

    it.each<[string, unknown, string | null]>([
      ['an empty body', {}, null],
      ['is_archived "yes"', { is_archived: 'yes' }, 'is_archived'],
      ['is_archived 1', { is_archived: 1 }, 'is_archived'],
      ['is_archived null', { is_archived: null }, 'is_archived'],
      ['an empty title', { title: '' }, 'title'],
      ['a blank title', { title: '   ' }, 'title'],
      ['a 201-character title', { title: 'y'.repeat(201) }, 'title'],
      ['a null title', { title: null }, 'title'],
      ['a numeric title', { title: 5 }, 'title'],
      ['a title with a NUL character', { title: 'a\u0000b' }, 'title'],
      ['a title of 201 code points', { title: `${'a'.repeat(199)}\u2764\uFE0F` }, 'title'],
      // A model of the catalog is switched to (issue 16); one outside it refuses the whole update.
      ['an unknown model', { title: 'ok', model: 'no-such-model' }, 'model'],
      ['message_count', { message_count: 99 }, 'message_count'],
      ['user_id', { title: 'ok', user_id: randomUUID() }, 'user_id'],
    ])('rejects %s with 422 and changes nothing', async (_, body, field) => {
      const before = await rowOf(conv.id);
      const res = await update(user, conv.id, body);
      expectError(res, 422, 'VALIDATION_ERROR');
      if (field) expect(fieldsOf(res)).toContain(field);
      expect(await rowOf(conv.id)).toEqual(before);
    });

    it("answers another user's conversation with 404 and leaves it unchanged", async () => {
      const stranger = await registerUser(t);
      const before = await rowOf(conv.id);
      const res = await update(stranger, conv.id, { title: 'hijacked', is_archived: true });
      expectError(res, 404, 'RESOURCE_NOT_FOUND');
      expect(await rowOf(conv.id)).toEqual(before);
      expect(before).toMatchObject({ user_id: user.id, title: 'before', is_archived: false });
    });

    it('answers an unknown id with 404 and a malformed one with 400', async () => {
      expectError(await update(user, randomUUID(), { title: 'x' }), 404, 'RESOURCE_NOT_FOUND');
      expectError(await update(user, 'nope', { title: 'x' }), 400, 'VALIDATION_ERROR');
    });
  });

  describe('DELETE /conversations/:id', () => {
    it('deletes it and all its messages; then it is 404', async () => {
      const user = await registerUser(t);
      const keep = await aConversation(t, user, { title: 'keep' });
      const conv = await aConversation(t, user, { title: 'doomed' });
      const first = await insertMessage(t, {
        conversationId: conv.id,
        userId: user.id,
        role: 'user',
        content: 'one',
      });
      await insertMessage(t, {
        conversationId: conv.id,
        userId: user.id,
        role: 'assistant',
        content: 'two',
        parentId: first.id,
      });
      await insertMessage(t, {
        conversationId: keep.id,
        userId: user.id,
        role: 'user',
        content: 'kept message',
      });
      expect(await messagesOf(conv.id)).toBe(2);

      const res = await remove(user, conv.id);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ success: true, data: null });

      expect(await rowOf(conv.id)).toBeUndefined();
      expect(await messagesOf(conv.id)).toBe(0);
      expectError(await detail(user, conv.id), 404, 'RESOURCE_NOT_FOUND');
      expectError(await remove(user, conv.id), 404, 'RESOURCE_NOT_FOUND');
      expectError(
        await t.api().get(`${base}/${conv.id}/messages`).set(bearer(user.accessToken)),
        404,
        'RESOURCE_NOT_FOUND',
      );
      expectError(
        await t.api().put(`/api/v1/messages/${first.id}`).set(bearer(user.accessToken)).send({
          content: 'ghost',
        }),
        404,
        'RESOURCE_NOT_FOUND',
      );

      // The other conversation is untouched.
      expect(await idsOf(user)).toEqual([keep.id]);
      expect(await messagesOf(keep.id)).toBe(1);
    });

    it("answers another user's conversation with 404 and deletes nothing", async () => {
      const owner = await registerUser(t);
      const stranger = await registerUser(t);
      const conv = await aConversation(t, owner);
      await insertMessage(t, {
        conversationId: conv.id,
        userId: owner.id,
        role: 'user',
        content: 'mine',
      });
      const before = await rowOf(conv.id);
      expectError(await remove(stranger, conv.id), 404, 'RESOURCE_NOT_FOUND');
      expect(await rowOf(conv.id)).toEqual(before);
      expect(await messagesOf(conv.id)).toBe(1);
      expect((await detail(owner, conv.id)).status).toBe(200);
    });

    it('answers an unknown id with 404 and a malformed one with 400', async () => {
      const user = await registerUser(t);
      expectError(await remove(user, randomUUID()), 404, 'RESOURCE_NOT_FOUND');
      expectError(await remove(user, 'nope'), 400, 'VALIDATION_ERROR');
    });
  });

  describe('POST /conversations/:id/archive and /unarchive', () => {
    it('archives and unarchives, visible in list and detail', async () => {
      const user = await registerUser(t);
      const conv = await aConversation(t, user);

      const res = await archive(user, conv.id);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ success: true, data: null });
      expect((await detail(user, conv.id)).body.data.is_archived).toBe(true);
      expect((await rowOf(conv.id))?.is_archived).toBe(true);
      expect(await idsOf(user)).toEqual([]);
      const withArchived = await list(user, { archived: 'true' });
      expect(withArchived.body.data.conversations).toEqual([
        expect.objectContaining({ id: conv.id, is_archived: true }),
      ]);

      // Archiving again changes nothing and is no error.
      expect((await archive(user, conv.id)).status).toBe(200);
      expect((await rowOf(conv.id))?.is_archived).toBe(true);

      const back = await unarchive(user, conv.id);
      expect(back.status).toBe(200);
      expect(back.body).toMatchObject({ success: true, data: null });
      expect((await detail(user, conv.id)).body.data.is_archived).toBe(false);
      expect(await idsOf(user)).toEqual([conv.id]);
      expect((await unarchive(user, conv.id)).status).toBe(200);
      expect((await rowOf(conv.id))?.is_archived).toBe(false);
    });

    it("answers another user's conversation with 404 and leaves it as it was", async () => {
      const owner = await registerUser(t);
      const stranger = await registerUser(t);
      const open = await aConversation(t, owner);
      const closed = await aConversation(t, owner);
      await archive(owner, closed.id);
      const [openBefore, closedBefore] = [await rowOf(open.id), await rowOf(closed.id)];

      expectError(await archive(stranger, open.id), 404, 'RESOURCE_NOT_FOUND');
      expectError(await unarchive(stranger, closed.id), 404, 'RESOURCE_NOT_FOUND');
      expect(await rowOf(open.id)).toEqual(openBefore);
      expect(await rowOf(closed.id)).toEqual(closedBefore);
    });

    it('answers an unknown id with 404 and a malformed one with 400', async () => {
      const user = await registerUser(t);
      expectError(await archive(user, randomUUID()), 404, 'RESOURCE_NOT_FOUND');
      expectError(await unarchive(user, randomUUID()), 404, 'RESOURCE_NOT_FOUND');
      expectError(await archive(user, 'nope'), 400, 'VALIDATION_ERROR');
    });

    it('answers 401 without a token', async () => {
      expectError(
        await t.api().post(`${base}/${randomUUID()}/archive`),
        401,
        'AUTHENTICATION_ERROR',
      );
    });
  });
});
