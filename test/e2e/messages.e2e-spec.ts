import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import {
  aConversation,
  bearer,
  ConversationData,
  insertMessage,
  MessageRow,
  registerUser,
  RegisteredUser,
} from '../factories';
import { bootApp, TestApp } from '../support/app';
import { ISO_UTC, expectError, fieldsOf, pause } from '../support/expect';

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
  message_count: number;
  updated_at: Date;
  title: string;
}

interface MessageResponse {
  id: string;
  conversation_id: string;
  parent_id: string | null;
  sibling_index: number;
  sibling_count: number;
  role: string;
  content: string;
  status: string;
  model: string | null;
  tokens_used: number;
  attachments: unknown[];
  created_at: string;
  updated_at: string;
}

/** The message as the API should answer it, from its stored row. */
function asResponse(row: MessageRow): MessageResponse {
  return {
    id: row.id,
    conversation_id: row.conversation_id,
    parent_id: row.parent_id,
    // Rows inserted directly follow one straight branch.
    sibling_index: 1,
    sibling_count: 1,
    role: row.role,
    content: row.content,
    status: row.status,
    model: (row as MessageRow & { model: string | null }).model,
    tokens_used: row.tokens_used,
    // Rows inserted directly carry no files.
    attachments: [],
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

describe('Messages', () => {
  let t: TestApp;

  beforeAll(async () => {
    // Many users and requests in one file: keep any rate limit out of the way.
    t = await bootApp({
      RATE_LIMIT_AUTH: '10000',
      RATE_LIMIT_DEFAULT: '100000',
      RATE_LIMIT_MESSAGES: '10000',
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  const listMessages = (
    user: RegisteredUser,
    conversationId: string,
    query: Record<string, string | number> = {},
  ) =>
    t
      .api()
      .get(`/api/v1/conversations/${conversationId}/messages`)
      .set(bearer(user.accessToken))
      .query(query);
  const edit = (user: RegisteredUser, id: string, body: unknown) =>
    t
      .api()
      .put(`/api/v1/messages/${id}`)
      .set(bearer(user.accessToken))
      .send(body as object);
  const remove = (user: RegisteredUser, id: string) =>
    t.api().delete(`/api/v1/messages/${id}`).set(bearer(user.accessToken));
  const listConversations = (user: RegisteredUser) =>
    t.api().get('/api/v1/conversations').set(bearer(user.accessToken));

  const messageRow = async (id: string): Promise<MessageRow | undefined> => {
    const [row] = await t.sql<MessageRow>('SELECT * FROM messages WHERE id = $1', [id]);
    return row;
  };
  const conversationRow = async (id: string): Promise<ConversationRow | undefined> => {
    const [row] = await t.sql<ConversationRow>(
      'SELECT message_count, updated_at, title FROM conversations WHERE id = $1',
      [id],
    );
    return row;
  };
  const listItem = async (user: RegisteredUser, id: string): Promise<ConversationData> => {
    const res = await listConversations(user);
    expect(res.status).toBe(200);
    const item = (res.body.data.conversations as ConversationData[]).find((c) => c.id === id);
    if (!item) throw new Error(`conversation ${id} not in the list`);
    return item;
  };
  /** A conversation with `n` completed messages alternating user/assistant, each replying to the last. */
  const aThread = async (
    user: RegisteredUser,
    n: number,
  ): Promise<{ conv: ConversationData; rows: MessageRow[] }> => {
    const conv = await aConversation(t, user, { title: `thread of ${n}` });
    const rows: MessageRow[] = [];
    for (let i = 1; i <= n; i += 1) {
      rows.push(
        await insertMessage(t, {
          conversationId: conv.id,
          userId: user.id,
          role: i % 2 === 1 ? 'user' : 'assistant',
          content: `message ${i}`,
          parentId: rows.at(-1)?.id ?? null,
          model: i % 2 === 1 ? null : conv.model,
          tokensUsed: i,
        }),
      );
    }
    return { conv, rows };
  };

  describe('GET /conversations/:id/messages', () => {
    let user: RegisteredUser;
    let conv: ConversationData;
    let rows: MessageRow[];
    const idsOf = (res: Response) => (res.body.data.messages as MessageResponse[]).map((m) => m.id);
    const rowIds = (...positions: number[]) => positions.map((p) => rows[p - 1].id);

    beforeAll(async () => {
      user = await registerUser(t);
      ({ conv, rows } = await aThread(user, 5));
      // Messages of another conversation of the same user never mix in.
      await aThread(user, 2);
    });

    it('answers newest first by default, page 1 of size 50, every field', async () => {
      const res = await listMessages(user, conv.id);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ success: true, message: expect.any(String) });
      expect(Object.keys(res.body.data).sort()).toEqual(['messages', 'pagination']);
      expect(res.body.data.pagination).toEqual({ page: 1, size: 50, total: 5, pages: 1 });
      expect(idsOf(res)).toEqual(rowIds(5, 4, 3, 2, 1));
      const messages = res.body.data.messages as MessageResponse[];
      for (const m of messages) {
        expect(Object.keys(m).sort()).toEqual(MESSAGE_FIELDS);
        expect(m.created_at).toMatch(ISO_UTC);
        expect(m.updated_at).toMatch(ISO_UTC);
      }
      expect(messages[0]).toEqual(asResponse(rows[4]));
      expect(messages[3]).toEqual(asResponse(rows[1]));
      expect(messages[3]).toMatchObject({
        role: 'assistant',
        parent_id: rows[0].id,
        model: conv.model,
        tokens_used: 2,
        status: 'completed',
      });

      const desc = await listMessages(user, conv.id, { order: 'desc' });
      expect(desc.body.data).toEqual(res.body.data);
    });

    it('answers oldest first with order=asc', async () => {
      const res = await listMessages(user, conv.id, { order: 'asc' });
      expect(res.status).toBe(200);
      expect(idsOf(res)).toEqual(rowIds(1, 2, 3, 4, 5));
      expect(res.body.data.messages[0]).toEqual(asResponse(rows[0]));
    });

    it('pages through in either order with the right totals', async () => {
      const desc = await Promise.all(
        [1, 2, 3, 4].map((page) => listMessages(user, conv.id, { page, size: 2 })),
      );
      expect(desc.map(idsOf)).toEqual([rowIds(5, 4), rowIds(3, 2), rowIds(1), []]);
      desc.forEach((res, i) =>
        expect(res.body.data.pagination).toEqual({ page: i + 1, size: 2, total: 5, pages: 3 }),
      );

      const asc = await Promise.all(
        [1, 2, 3].map((page) => listMessages(user, conv.id, { page, size: 2, order: 'asc' })),
      );
      expect(asc.map(idsOf)).toEqual([rowIds(1, 2), rowIds(3, 4), rowIds(5)]);

      const ones = await Promise.all(
        [1, 2, 3, 4, 5].map((page) => listMessages(user, conv.id, { page, size: 1 })),
      );
      expect(ones.flatMap(idsOf)).toEqual(rowIds(5, 4, 3, 2, 1));
      expect(ones[4].body.data.pagination).toEqual({ page: 5, size: 1, total: 5, pages: 5 });
    });

    it('accepts size 1 and size 100', async () => {
      const one = await listMessages(user, conv.id, { size: 1 });
      expect(one.status).toBe(200);
      expect(idsOf(one)).toEqual(rowIds(5));
      const hundred = await listMessages(user, conv.id, { size: 100 });
      expect(hundred.status).toBe(200);
      expect(hundred.body.data.pagination).toEqual({ page: 1, size: 100, total: 5, pages: 1 });
    });

    it.each<[string, Record<string, string>]>([
      ['order=sideways', { order: 'sideways' }],
      ['order= (empty)', { order: '' }],
      ['size=0', { size: '0' }],
      ['size=101', { size: '101' }],
      ['size=abc', { size: 'abc' }],
      ['size=2.5', { size: '2.5' }],
      ['page=0', { page: '0' }],
      ['page=abc', { page: 'abc' }],
    ])('answers %s with 400 VALIDATION_ERROR naming the parameter', async (_, query) => {
      const res = await listMessages(user, conv.id, query);
      expectError(res, 400, 'VALIDATION_ERROR');
      expect(fieldsOf(res)).toEqual(Object.keys(query));
    });

    it('answers an empty conversation with no messages and total 0', async () => {
      const empty = await aConversation(t, user);
      const res = await listMessages(user, empty.id);
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual({
        messages: [],
        pagination: { page: 1, size: 50, total: 0, pages: 0 },
      });
    });

    it("answers another user's conversation with 404, like an unknown one", async () => {
      const stranger = await registerUser(t);
      const res = await listMessages(stranger, conv.id);
      expectError(res, 404, 'RESOURCE_NOT_FOUND');
      expect(JSON.stringify(res.body)).not.toContain('message 1');
      const unknown = await listMessages(stranger, randomUUID());
      expectError(unknown, 404, 'RESOURCE_NOT_FOUND');
      expect(res.body.error).toEqual(unknown.body.error);
    });

    it('answers a malformed id with 400 and no token with 401', async () => {
      expectError(await listMessages(user, 'not-a-uuid'), 400, 'VALIDATION_ERROR');
      expectError(
        await t.api().get(`/api/v1/conversations/${conv.id}/messages`),
        401,
        'AUTHENTICATION_ERROR',
      );
    });
  });

  describe('PUT /messages/:id', () => {
    let user: RegisteredUser;
    let conv: ConversationData;
    let question: MessageRow;
    let answer: MessageRow;

    beforeEach(async () => {
      user = await registerUser(t);
      ({
        conv,
        rows: [question, answer],
      } = await aThread(user, 2));
      await pause();
    });

    it('changes the content: 200 with the new content and a later updated_at, the rest as it was', async () => {
      const convBefore = await conversationRow(conv.id);
      const res = await edit(user, answer.id, { content: 'a better answer' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ success: true, message: expect.any(String) });
      const data = res.body.data as MessageResponse;
      expect(Object.keys(data).sort()).toEqual(MESSAGE_FIELDS);
      expect(data).toEqual({
        ...asResponse(answer),
        content: 'a better answer',
        updated_at: expect.stringMatching(ISO_UTC),
      });
      expect(Date.parse(data.updated_at)).toBeGreaterThan(answer.updated_at.getTime());

      const stored = await messageRow(answer.id);
      expect(stored).toMatchObject({
        content: 'a better answer',
        role: 'assistant',
        seq: answer.seq,
        parent_id: question.id,
      });
      expect(stored?.created_at).toEqual(answer.created_at);

      // The conversation counts the same messages and shows the edit as its activity.
      const convAfter = await conversationRow(conv.id);
      expect(convAfter?.message_count).toBe(2);
      expect(convAfter?.updated_at.getTime()).toBeGreaterThan(
        convBefore?.updated_at.getTime() ?? 0,
      );
      const item = await listItem(user, conv.id);
      expect(item.last_message).toEqual({
        content: 'a better answer',
        role: 'assistant',
        created_at: answer.created_at.toISOString(),
      });

      // The order of the thread does not change.
      const all = await listMessages(user, conv.id, { order: 'asc' });
      expect((all.body.data.messages as MessageResponse[]).map((m) => [m.id, m.content])).toEqual([
        [question.id, 'message 1'],
        [answer.id, 'a better answer'],
      ]);
    });

    it('accepts exactly 10,000 characters, in letters or in emoji', async () => {
      for (const content of ['x'.repeat(10_000), '😀'.repeat(10_000)]) {
        const res = await edit(user, question.id, { content });
        expect(res.status).toBe(200);
        expect(res.body.data.content).toBe(content);
        const [{ n }] = await t.sql<{ n: number }>(
          'SELECT char_length(content) AS n FROM messages WHERE id = $1',
          [question.id],
        );
        expect(Number(n)).toBe(10_000);
      }
    });

    it.each<[string, unknown]>([
      ['an empty content', { content: '' }],
      ['10,001 characters', { content: 'x'.repeat(10_001) }],
      [
        '10,001 code points (a heart with its variation selector last)',
        { content: `${'x'.repeat(9_999)}\u2764\uFE0F` },
      ],
      ['a NUL character', { content: 'a\u0000b' }],
      ['no content', {}],
      ['content null', { content: null }],
      ['a number', { content: 42 }],
    ])('rejects %s with 422 naming content, changing nothing', async (_, body) => {
      const res = await edit(user, question.id, body);
      expectError(res, 422, 'VALIDATION_ERROR');
      expect(fieldsOf(res)).toEqual(['content']);
      expect(await messageRow(question.id)).toEqual(question);
    });

    it.each<[string, Record<string, unknown>]>([
      ['role', { content: 'x', role: 'system' }],
      ['status', { content: 'x', status: 'streaming' }],
      ['conversation_id', { content: 'x', conversation_id: randomUUID() }],
    ])('rejects %s in the body with 422 naming it, changing nothing', async (field, body) => {
      const res = await edit(user, answer.id, body);
      expectError(res, 422, 'VALIDATION_ERROR');
      expect(fieldsOf(res)).toContain(field);
      expect(await messageRow(answer.id)).toEqual(answer);
    });

    it('refuses a message that is still streaming with 422, changing nothing', async () => {
      const streaming = await insertMessage(t, {
        conversationId: conv.id,
        userId: user.id,
        role: 'assistant',
        content: 'half an ans',
        status: 'streaming',
        parentId: answer.id,
      });
      const convBefore = await conversationRow(conv.id);
      const res = await edit(user, streaming.id, { content: 'tampered' });
      expectError(res, 422, 'VALIDATION_ERROR');
      expect(await messageRow(streaming.id)).toEqual(streaming);
      expect(await conversationRow(conv.id)).toEqual(convBefore);
    });

    it('answers an edit that races a delete of the same message with 200 or 404, never 5xx', async () => {
      for (let round = 0; round < 4; round += 1) {
        const {
          conv: thread,
          rows: [, target],
        } = await aThread(user, 2);
        const [edits, deletes] = await Promise.all([
          Promise.all(Array.from({ length: 4 }, () => edit(user, target.id, { content: 'late' }))),
          Promise.all(Array.from({ length: 2 }, () => remove(user, target.id))),
        ]);
        for (const res of edits) expect([200, 404]).toContain(res.status);
        expect(deletes.map((d) => d.status).sort()).toEqual([200, 404]);
        expect(await messageRow(target.id)).toBeUndefined();
        expect((await conversationRow(thread.id))?.message_count).toBe(1);
      }
    });

    it("answers another user's message with 404 and changes nothing", async () => {
      const stranger = await registerUser(t);
      const convBefore = await conversationRow(conv.id);
      const res = await edit(stranger, answer.id, { content: 'hijacked' });
      expectError(res, 404, 'RESOURCE_NOT_FOUND');
      const unknown = await edit(stranger, randomUUID(), { content: 'x' });
      expect(res.body.error).toEqual(unknown.body.error);
      expect(await messageRow(answer.id)).toEqual(answer);
      expect(await conversationRow(conv.id)).toEqual(convBefore);
    });

    it('answers an unknown id with 404, a malformed one with 400, no token with 401', async () => {
      expectError(await edit(user, randomUUID(), { content: 'x' }), 404, 'RESOURCE_NOT_FOUND');
      expectError(await edit(user, 'not-a-uuid', { content: 'x' }), 400, 'VALIDATION_ERROR');
      expectError(await edit(user, '12345', { content: 'x' }), 400, 'VALIDATION_ERROR');
      expectError(
        await t.api().put(`/api/v1/messages/${question.id}`).send({ content: 'x' }),
        401,
        'AUTHENTICATION_ERROR',
      );
      expect(await messageRow(question.id)).toEqual(question);
    });
  });

  describe('DELETE /messages/:id', () => {
    it('deletes; message_count drops, the previous message becomes last, activity moves', async () => {
      const user = await registerUser(t);
      const {
        conv,
        rows: [m1, m2, m3],
      } = await aThread(user, 3);
      await pause();
      const before = await conversationRow(conv.id);
      expect(before?.message_count).toBe(3);

      const res = await remove(user, m3.id);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ success: true, data: null });
      expect(await messageRow(m3.id)).toBeUndefined();

      const after = await conversationRow(conv.id);
      expect(after?.message_count).toBe(2);
      expect(after?.updated_at.getTime()).toBeGreaterThan(before?.updated_at.getTime() ?? 0);
      const item = await listItem(user, conv.id);
      expect(item.message_count).toBe(2);
      expect(item.last_message).toEqual({
        content: m2.content,
        role: m2.role,
        created_at: m2.created_at.toISOString(),
      });
      const detail = await t
        .api()
        .get(`/api/v1/conversations/${conv.id}`)
        .set(bearer(user.accessToken));
      expect(detail.body.data.message_count).toBe(2);
      expect((detail.body.data.messages as MessageResponse[]).map((m) => m.id)).toEqual([
        m1.id,
        m2.id,
      ]);
      const listed = await listMessages(user, conv.id);
      expect(listed.body.data.pagination.total).toBe(2);

      // Deleting the first deletes its subtree (API.md §11): the reply that followed it too.
      expect((await remove(user, m1.id)).status).toBe(200);
      expect(await messageRow(m2.id)).toBeUndefined();
      const emptied = await listItem(user, conv.id);
      expect(emptied).toMatchObject({ message_count: 0, last_message: null });

      // A second delete is 404 and the count does not go below zero.
      expectError(await remove(user, m2.id), 404, 'RESOURCE_NOT_FOUND');
      expect((await conversationRow(conv.id))?.message_count).toBe(0);
    });

    it('counts a message once when several deletes of it race: one 200, the rest 404', async () => {
      const user = await registerUser(t);
      for (let round = 0; round < 3; round += 1) {
        const {
          conv,
          rows: [, m2],
        } = await aThread(user, 2);
        const answers = await Promise.all(Array.from({ length: 8 }, () => remove(user, m2.id)));
        expect(answers.map((a) => a.status).sort()).toEqual([
          200, 404, 404, 404, 404, 404, 404, 404,
        ]);
        expect(await messageRow(m2.id)).toBeUndefined();
        expect((await conversationRow(conv.id))?.message_count).toBe(1);
      }
    });

    it("answers another user's message with 404 and changes nothing", async () => {
      const owner = await registerUser(t);
      const stranger = await registerUser(t);
      const {
        conv,
        rows: [m1, m2],
      } = await aThread(owner, 2);
      const before = await conversationRow(conv.id);

      const res = await remove(stranger, m2.id);
      expectError(res, 404, 'RESOURCE_NOT_FOUND');
      const unknown = await remove(stranger, randomUUID());
      expect(res.body.error).toEqual(unknown.body.error);
      expect(await messageRow(m1.id)).toEqual(m1);
      expect(await messageRow(m2.id)).toEqual(m2);
      expect(await conversationRow(conv.id)).toEqual(before);
      expect((await listItem(owner, conv.id)).last_message?.content).toBe(m2.content);
    });

    it('refuses a message that is still streaming with 422, changing nothing', async () => {
      const user = await registerUser(t);
      const {
        conv,
        rows: [m1],
      } = await aThread(user, 1);
      const streaming = await insertMessage(t, {
        conversationId: conv.id,
        userId: user.id,
        role: 'assistant',
        content: '',
        status: 'streaming',
        parentId: m1.id,
      });
      const before = await conversationRow(conv.id);
      expectError(await remove(user, streaming.id), 422, 'VALIDATION_ERROR');
      expect(await messageRow(streaming.id)).toEqual(streaming);
      expect(await conversationRow(conv.id)).toEqual(before);
    });

    it('answers an unknown id with 404, a malformed one with 400, no token with 401', async () => {
      const user = await registerUser(t);
      const {
        rows: [m1],
      } = await aThread(user, 1);
      expectError(await remove(user, randomUUID()), 404, 'RESOURCE_NOT_FOUND');
      expectError(await remove(user, 'not-a-uuid'), 400, 'VALIDATION_ERROR');
      expectError(await t.api().delete(`/api/v1/messages/${m1.id}`), 401, 'AUTHENTICATION_ERROR');
      expect(await messageRow(m1.id)).toEqual(m1);
    });

    it('answers a 404 in Chinese for Accept-Language zh-CN, code unchanged', async () => {
      const user = await registerUser(t);
      const res = await t
        .api()
        .delete(`/api/v1/messages/${randomUUID()}`)
        .set(bearer(user.accessToken))
        .set('Accept-Language', 'zh-CN');
      expectError(res, 404, 'RESOURCE_NOT_FOUND');
      expect(res.body.error.message).toMatch(/[\u4e00-\u9fff]/);
    });
  });
});
