import { randomUUID } from 'node:crypto';
import {
  aConversation,
  bearer,
  fetchQuota,
  registerUser,
  RegisteredUser,
  setQuotaCounters,
} from '../factories';
import { bootApp, TestApp } from '../support/app';
import { expectError } from '../support/expect';
import { FakeOpenAi, fakeOpenAiEnv, startFakeOpenAi } from '../support/fake-openai';
import { openSse, readSse } from '../support/sse';
import { chatWsUrl, closeAllWs, connectWs, WsClient } from '../support/ws-client';

/** A message as the API answers it, the tree fields only. */
interface TreeMessage {
  id: string;
  parent_id: string | null;
  role: 'user' | 'assistant';
  content: string;
  status: string;
  sibling_index: number;
  sibling_count: number;
}

/** A message as the tests name it: its content, and its place among its siblings. */
const shown = (m: TreeMessage) => `${m.content} ${m.sibling_index}/${m.sibling_count}`;

/**
 * Conversation trees (API.md §11) over REST, SSE and WebSocket, with the fake upstream
 * recording exactly what the model was given.
 */
describe('Conversation trees (API.md §11)', () => {
  let fake: FakeOpenAi;
  let t: TestApp;

  beforeAll(async () => {
    fake = await startFakeOpenAi();
    // Every upstream call here is a reply whose prompt is asserted; titles have their own suite.
    t = await bootApp({ ...fakeOpenAiEnv(fake), AUTO_TITLE: 'false' });
  });
  afterEach(async () => {
    fake.reset();
    await closeAllWs();
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  const api = (user: RegisteredUser) => ({
    send: (conversationId: string, body: object, headers: Record<string, string> = {}) =>
      t
        .api()
        .post(`/api/v1/conversations/${conversationId}/messages`)
        .set(bearer(user.accessToken))
        .set(headers)
        .send({ role: 'user', ...body }),
    regenerate: (messageId: string, body: object = {}, headers: Record<string, string> = {}) =>
      t
        .api()
        .post(`/api/v1/messages/${messageId}/regenerate`)
        .set(bearer(user.accessToken))
        .set(headers)
        .send(body),
    switchTo: (conversationId: string, messageId: string) =>
      t
        .api()
        .put(`/api/v1/conversations/${conversationId}`)
        .set(bearer(user.accessToken))
        .send({ current_message_id: messageId }),
    remove: (messageId: string) =>
      t.api().delete(`/api/v1/messages/${messageId}`).set(bearer(user.accessToken)),
    stop: (messageId: string) =>
      t.api().post(`/api/v1/messages/${messageId}/stop`).set(bearer(user.accessToken)).send(),
    /** GET /conversations/{id}: its current branch, root first, and the conversation. */
    detail: async (conversationId: string) => {
      const res = await t
        .api()
        .get(`/api/v1/conversations/${conversationId}`)
        .set(bearer(user.accessToken));
      expect(res.status).toBe(200);
      return res.body.data as {
        current_message_id: string | null;
        message_count: number;
        messages: TreeMessage[];
      };
    },
    /** GET …/messages with a query; the page's messages and the total. */
    list: async (conversationId: string, query: string) => {
      const res = await t
        .api()
        .get(`/api/v1/conversations/${conversationId}/messages?${query}`)
        .set(bearer(user.accessToken));
      expect(res.status).toBe(200);
      return res.body.data as { messages: TreeMessage[]; pagination: { total: number } };
    },
  });

  /** The current branch as `content i/n`, root first, checked to end at current_message_id. */
  async function branchOf(user: RegisteredUser, conversationId: string): Promise<string[]> {
    const detail = await api(user).detail(conversationId);
    expect(detail.messages.at(-1)?.id ?? null).toBe(detail.current_message_id);
    // A path: each message's parent is the one before it.
    detail.messages.forEach((m, i) => expect(m.parent_id).toBe(detail.messages[i - 1]?.id ?? null));
    // GET …/messages lists the same branch, newest first by default.
    const listed = await api(user).list(conversationId, 'size=100');
    expect(listed.messages.map(shown)).toEqual(detail.messages.map(shown).reverse());
    expect(listed.pagination.total).toBe(detail.messages.length);
    return detail.messages.map(shown);
  }

  /** Every message of the tree, oldest first, as `content i/n`. */
  async function treeOf(user: RegisteredUser, conversationId: string): Promise<string[]> {
    const all = await api(user).list(conversationId, 'branch=all&order=asc&size=100');
    const detail = await api(user).detail(conversationId);
    expect(all.pagination.total).toBe(detail.message_count);
    return all.messages.map(shown);
  }

  /** What the model was given by the last upstream call: `role: content`, in order. */
  const lastPrompt = () =>
    (fake.chatRequests.at(-1)?.body?.messages as { role: string; content: string }[]).map(
      (m) => `${m.role}: ${m.content}`,
    );

  /** A new user's conversation with one exchange (`Q`, and its reply `answer`). */
  async function aConversationWithReply() {
    const user = await registerUser(t);
    const conv = await aConversation(t, user);
    const sent = await api(user).send(conv.id, { content: 'Q' });
    expect(sent.status).toBe(201);
    return { user, conv, answer: sent.body.data.assistant_message as TreeMessage };
  }

  async function socketOf(user: RegisteredUser): Promise<WsClient> {
    return connectWs(chatWsUrl(t.url, `?token=${encodeURIComponent(user.accessToken)}`));
  }

  /** Sends a WebSocket frame that starts a reply and waits for that reply's end. */
  async function overSocket(ws: WsClient, frame: object) {
    const requestId = randomUUID();
    const from = ws.frames.length;
    ws.send({ ...frame, request_id: requestId });
    const start = await ws.waitFor(
      (f) => f.type === 'message_start' && f.request_id === requestId,
      {
        from,
      },
    );
    const end = await ws.waitForType('message_end', { messageId: start.message_id, from });
    return { start, end };
  }

  it('builds a tree of depth 5 with 3 branches by sends with parent_id, regenerations and switches; the model sees only the branch', async () => {
    const user = await registerUser(t);
    const conv = await aConversation(t, user);
    const ws = await socketOf(user);

    // 1. REST, no parent_id: the first message, a root.
    fake.script({ text: 'A1' });
    const first = await api(user).send(conv.id, { content: 'Q1' });
    expect(first.status).toBe(201);
    const { user_message: u1, assistant_message: a1 } = first.body.data;
    expect(u1).toMatchObject({ parent_id: null, sibling_index: 1, sibling_count: 1 });
    expect(a1).toMatchObject({ parent_id: u1.id, sibling_index: 1, sibling_count: 1 });
    expect(lastPrompt()).toEqual(['user: Q1']);
    expect(await branchOf(user, conv.id)).toEqual(['Q1 1/1', 'A1 1/1']);

    // 2. SSE: follows the current branch.
    fake.script({ text: 'A2' });
    const sse = await readSse(`${t.url}/api/v1/conversations/${conv.id}/messages/stream`, {
      headers: bearer(user.accessToken),
      body: { content: 'Q2' },
    });
    const u2 = sse.frames[0].data.user_message_id as string;
    expect(sse.frames.at(-1)?.data.type).toBe('end');
    expect(lastPrompt()).toEqual(['user: Q1', 'assistant: A1', 'user: Q2']);
    expect(await branchOf(user, conv.id)).toEqual(['Q1 1/1', 'A1 1/1', 'Q2 1/1', 'A2 1/1']);

    // 3. WebSocket chat_message: deeper on the same branch.
    fake.script({ text: 'A3' });
    await overSocket(ws, { type: 'chat_message', conversation_id: conv.id, content: 'Q3' });
    const toQ3 = ['user: Q1', 'assistant: A1', 'user: Q2', 'assistant: A2', 'user: Q3'];
    expect(lastPrompt()).toEqual(toQ3);
    expect(await branchOf(user, conv.id)).toEqual([
      'Q1 1/1',
      'A1 1/1',
      'Q2 1/1',
      'A2 1/1',
      'Q3 1/1',
      'A3 1/1',
    ]);

    // 4. Edit-and-resend Q2 (REST, parent_id = its parent): a second branch.
    fake.script({ text: 'B2' });
    const edited = await api(user).send(conv.id, { content: 'Q2 edited', parent_id: a1.id });
    expect(edited.status).toBe(201);
    expect(edited.body.data.user_message).toMatchObject({
      parent_id: a1.id,
      sibling_index: 2,
      sibling_count: 2,
    });
    expect(lastPrompt()).toEqual(['user: Q1', 'assistant: A1', 'user: Q2 edited']);
    expect(await branchOf(user, conv.id)).toEqual(['Q1 1/1', 'A1 1/1', 'Q2 edited 2/2', 'B2 1/1']);
    const b2 = edited.body.data.assistant_message as TreeMessage;

    // 5. Regenerate B2 (REST): a sibling answering the same user message.
    fake.script({ text: 'C2' });
    const regenerated = await api(user).regenerate(b2.id);
    expect(regenerated.status).toBe(201);
    expect(Object.keys(regenerated.body.data).sort()).toEqual(['assistant_message', 'usage']);
    expect(regenerated.body.data.assistant_message).toMatchObject({
      parent_id: b2.parent_id,
      role: 'assistant',
      content: 'C2',
      status: 'completed',
      sibling_index: 2,
      sibling_count: 2,
    });
    expect(lastPrompt()).toEqual(['user: Q1', 'assistant: A1', 'user: Q2 edited']);
    expect(await branchOf(user, conv.id)).toEqual(['Q1 1/1', 'A1 1/1', 'Q2 edited 2/2', 'C2 2/2']);

    // 6. Switch back to the first Q2: down its newest children to A3.
    const switched = await api(user).switchTo(conv.id, u2);
    expect(switched.status).toBe(200);
    expect(switched.body.data).toMatchObject({
      current_message_id: expect.any(String),
      last_message: { content: 'A3', role: 'assistant' },
    });
    expect(await branchOf(user, conv.id)).toEqual([
      'Q1 1/1',
      'A1 1/1',
      'Q2 1/2',
      'A2 1/1',
      'Q3 1/1',
      'A3 1/1',
    ]);

    // 7. WebSocket, no parent_id: follows the switched branch (depth 8).
    fake.script({ text: 'A4' });
    const fourth = await overSocket(ws, {
      type: 'chat_message',
      conversation_id: conv.id,
      content: 'Q4',
    });
    expect(lastPrompt()).toEqual([...toQ3, 'assistant: A3', 'user: Q4']);
    expect((await branchOf(user, conv.id)).slice(-2)).toEqual(['Q4 1/1', 'A4 1/1']);

    // 8. A new root (parent_id: null), a third branch: the model sees it alone.
    fake.script({ text: 'R1' });
    const root = await api(user).send(conv.id, { content: 'Q1 again', parent_id: null });
    expect(root.status).toBe(201);
    expect(lastPrompt()).toEqual(['user: Q1 again']);
    expect(await branchOf(user, conv.id)).toEqual(['Q1 again 2/2', 'R1 1/1']);

    // 9. Regenerate A1 as a stream (stream: true): the model sees Q1 alone.
    fake.script({ text: 'D1' });
    const stream = await readSse(`${t.url}/api/v1/messages/${a1.id}/regenerate`, {
      headers: bearer(user.accessToken),
      body: { stream: true },
    });
    expect(stream.frames.map((f) => f.data.type)).toEqual(['start', 'content', 'end']);
    expect(stream.frames[0].data.user_message_id).toBe(u1.id);
    expect(lastPrompt()).toEqual(['user: Q1']);
    expect(await branchOf(user, conv.id)).toEqual(['Q1 1/2', 'D1 2/2']);

    // 10. Regenerate A4 over the WebSocket: back on the deep branch.
    fake.script({ text: 'E4' });
    const regen = await overSocket(ws, {
      type: 'regenerate',
      message_id: fourth.start.message_id as string,
    });
    expect(regen.start.user_message_id).toBe(fourth.start.user_message_id);
    expect(lastPrompt().at(-1)).toBe('user: Q4');
    expect(lastPrompt()).toHaveLength(7);
    expect(await branchOf(user, conv.id)).toEqual([
      'Q1 1/2',
      'A1 1/2',
      'Q2 1/2',
      'A2 1/1',
      'Q3 1/1',
      'A3 1/1',
      'Q4 1/1',
      'E4 2/2',
    ]);

    // The whole tree, oldest first; message_count counts every branch.
    expect(await treeOf(user, conv.id)).toEqual([
      'Q1 1/2',
      'A1 1/2',
      'Q2 1/2',
      'A2 1/1',
      'Q3 1/1',
      'A3 1/1',
      'Q2 edited 2/2',
      'B2 1/2',
      'C2 2/2',
      'Q4 1/1',
      'A4 1/2',
      'Q1 again 2/2',
      'R1 1/1',
      'D1 2/2',
      'E4 2/2',
    ]);
    const page = await api(user).list(conv.id, 'branch=all&order=desc&size=4&page=2');
    expect(page.messages.map((m) => m.content)).toEqual(['A4', 'Q4', 'C2', 'B2']);
    expect(page.pagination.total).toBe(15);
    // The current branch pages too (newest first).
    const branchPage = await api(user).list(conv.id, 'size=3&page=2');
    expect(branchPage.messages.map((m) => m.content)).toEqual(['Q3', 'A2', 'Q2']);
    expect(branchPage.pagination.total).toBe(8);
  });

  it('refuses what is not a tree move: 404 for a parent or a message of another conversation or user, 422 for a user message or a bad id', async () => {
    const user = await registerUser(t);
    const other = await registerUser(t);
    const conv = await aConversation(t, user);
    const elsewhere = await aConversation(t, user);
    const sent = (await api(user).send(conv.id, { content: 'hi' })).body.data;
    const foreign = (await api(user).send(elsewhere.id, { content: 'there' })).body.data;
    fake.reset();

    const badParent = await api(user).send(conv.id, {
      content: 'x',
      parent_id: foreign.assistant_message.id,
    });
    expectError(badParent, 404, 'RESOURCE_NOT_FOUND');
    expect(badParent.body.error.details).toMatchObject({ field: 'parent_id' });
    expectError(
      await api(user).send(conv.id, { content: 'x', parent_id: 'nope' }),
      422,
      'VALIDATION_ERROR',
    );
    expectError(await api(user).regenerate(sent.user_message.id), 422, 'VALIDATION_ERROR');
    expectError(await api(other).regenerate(sent.assistant_message.id), 404, 'RESOURCE_NOT_FOUND');
    expectError(await api(user).regenerate(randomUUID()), 404, 'RESOURCE_NOT_FOUND');
    expectError(
      await api(user).regenerate(sent.assistant_message.id, { max_tokens: 0 }),
      422,
      'VALIDATION_ERROR',
    );
    expectError(
      await api(user).regenerate(sent.assistant_message.id, { content: 'x' }),
      422,
      'VALIDATION_ERROR',
    );
    const badSwitch = await api(user).switchTo(conv.id, foreign.user_message.id);
    expectError(badSwitch, 404, 'RESOURCE_NOT_FOUND');
    expect(badSwitch.body.error.details).toMatchObject({ field: 'current_message_id' });
    expectError(
      await api(other).switchTo(conv.id, sent.user_message.id),
      404,
      'RESOURCE_NOT_FOUND',
    );
    expectError(await api(user).switchTo(conv.id, 'nope'), 422, 'VALIDATION_ERROR');

    const ws = await socketOf(user);
    ws.send({ type: 'regenerate', message_id: sent.user_message.id, request_id: 'r1' });
    const refused = await ws.waitForType('error');
    expect(refused).toMatchObject({ request_id: 'r1', error: { code: 'VALIDATION_ERROR' } });

    expect(fake.chatRequests).toHaveLength(0);
    expect((await api(user).detail(conv.id)).message_count).toBe(2);
  });

  it('a regeneration stopped mid-stream keeps its partial text; a resumed follower ends with it too', async () => {
    const { user, conv, answer } = await aConversationWithReply();
    const text = Array.from({ length: 120 }, (_, i) => `w${i}`).join(' ');
    fake.script({ text, chunkIntervalMs: 20 });

    const stream = await openSse(`${t.url}/api/v1/messages/${answer.id}/regenerate/stream`, {
      headers: bearer(user.accessToken),
      body: {},
    });
    const start = await stream.waitFor((f) => f.data?.type === 'start');
    const id = start.data.message_id as string;
    const watcher = await openSse(
      `${t.url}/api/v1/conversations/${conv.id}/messages/${id}/stream?after=0`,
      { headers: bearer(user.accessToken) },
    );
    await stream.waitFor((f) => f.data?.type === 'content' && stream.frames.length >= 4);
    // Not deletable while it streams: neither it nor the user message above it.
    expectError(await api(user).remove(answer.parent_id!), 422, 'VALIDATION_ERROR');

    const stopped = await api(user).stop(id);
    expect(stopped.status).toBe(200);
    expect(stopped.body.data).toMatchObject({
      id,
      status: 'stopped',
      parent_id: answer.parent_id,
      sibling_index: 2,
      sibling_count: 2,
    });
    const partial = stopped.body.data.content as string;
    expect(text.startsWith(partial) && partial.length < text.length).toBe(true);
    await Promise.all([stream.untilEnd(), watcher.untilEnd()]);
    for (const s of [stream, watcher]) {
      expect(s.frames.at(-1)?.data).toMatchObject({ type: 'end', stopped: true });
    }
    expect(await branchOf(user, conv.id)).toEqual(['Q 1/1', `${partial} 2/2`]);
    expect(fake.chatRequests).toHaveLength(2);
  });

  it('a regeneration spends the sender’s `messages` budget, as a send does', async () => {
    const { user, conv, answer } = await aConversationWithReply();
    const sent = await api(user).send(conv.id, { content: 'again', parent_id: answer.parent_id });
    const regenerated = await api(user).regenerate(answer.id);
    const remaining = (res: { headers: Record<string, string> }) =>
      Number(res.headers['ratelimit-remaining']);
    expect(regenerated.status).toBe(201);
    expect(regenerated.headers['ratelimit-limit']).toBe(sent.headers['ratelimit-limit']);
    expect(remaining(regenerated)).toBe(remaining(sent) - 1);
  });

  it('an Idempotency-Key replays a regeneration (one upstream call) and refuses another request', async () => {
    const { user, conv, answer } = await aConversationWithReply();
    const key = `regen-${randomUUID()}`;
    fake.script({ text: 'again' });

    const first = await api(user).regenerate(
      answer.id,
      { temperature: 0.5 },
      { 'Idempotency-Key': key },
    );
    expect(first.status).toBe(201);
    const replay = await api(user).regenerate(
      answer.id,
      { temperature: 0.5 },
      { 'Idempotency-Key': key },
    );
    expect(replay.status).toBe(201);
    expect(replay.body.data).toEqual(first.body.data);
    // As a stream it is the same request: the stored reply is told.
    const streamed = await readSse(`${t.url}/api/v1/messages/${answer.id}/regenerate/stream`, {
      headers: { ...bearer(user.accessToken), 'Idempotency-Key': key },
      body: { temperature: 0.5 },
    });
    expect(streamed.frames[0].data).toMatchObject({
      type: 'start',
      message_id: first.body.data.assistant_message.id,
    });
    expect(fake.chatRequests).toHaveLength(2);

    const otherBody = await api(user).regenerate(
      answer.id,
      { temperature: 0.6 },
      { 'Idempotency-Key': key },
    );
    expectError(otherBody, 422, 'VALIDATION_ERROR');
    const asSend = await api(user).send(conv.id, { content: 'Q' }, { 'Idempotency-Key': key });
    expectError(asSend, 422, 'VALIDATION_ERROR');
    expect(fake.chatRequests).toHaveLength(2);
    expect((await api(user).detail(conv.id)).message_count).toBe(3);
  });

  it('a send with parent_id is part of its Idempotency-Key request', async () => {
    const { user, conv, answer } = await aConversationWithReply();
    const key = `send-${randomUUID()}`;
    const first = await api(user).send(
      conv.id,
      { content: 'R', parent_id: answer.id },
      { 'Idempotency-Key': key },
    );
    expect(first.status).toBe(201);
    const replay = await api(user).send(
      conv.id,
      { content: 'R', parent_id: answer.id },
      { 'Idempotency-Key': key },
    );
    expect(replay.body.data.user_message.id).toBe(first.body.data.user_message.id);
    const differs = await api(user).send(
      conv.id,
      { content: 'R', parent_id: null },
      { 'Idempotency-Key': key },
    );
    expectError(differs, 422, 'VALIDATION_ERROR');
    expect(fake.chatRequests).toHaveLength(2);
  });

  it('with the quota at its last request, two racing regenerations make exactly one upstream call', async () => {
    const { user, conv, answer } = await aConversationWithReply();
    fake.reset();
    await setQuotaCounters(t, user.id, { dayRequests: 49, monthRequests: 49 });

    const results = await Promise.all([
      api(user).regenerate(answer.id),
      api(user).regenerate(answer.id),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 429]);
    expectError(
      results.find((r) => r.status === 429)!,
      429,
      'QUOTA_EXCEEDED',
    );
    expect(fake.chatRequests).toHaveLength(1);
    expect((await fetchQuota(t, user)).usage_today.requests).toBe(50);
    expect(await treeOf(user, conv.id)).toEqual([
      'Q 1/1',
      'Hello from the fake model. 1/2',
      'Hello from the fake model. 2/2',
    ]);
  });

  it('deleting a middle message removes its subtree and moves current_message_id to a surviving message', async () => {
    const user = await registerUser(t);
    const conv = await aConversation(t, user);
    const one = (await api(user).send(conv.id, { content: 'Q1' })).body.data;
    const two = (await api(user).send(conv.id, { content: 'Q2' })).body.data;
    await api(user).send(conv.id, { content: 'Q3' });
    // Another branch under A1, older than the deleted one's subtree's newest message.
    const side = (
      await api(user).send(conv.id, { content: 'S2', parent_id: one.assistant_message.id })
    ).body.data;
    await api(user).switchTo(conv.id, two.user_message.id);
    expect((await api(user).detail(conv.id)).messages).toHaveLength(6);

    const res = await api(user).remove(two.user_message.id);
    expect(res.status).toBe(200);
    const detail = await api(user).detail(conv.id);
    expect(detail.message_count).toBe(4);
    expect(detail.current_message_id).toBe(side.assistant_message.id);
    expect(await branchOf(user, conv.id)).toEqual([
      'Q1 1/1',
      'Hello from the fake model. 1/1',
      'S2 1/1',
      'Hello from the fake model. 1/1',
    ]);
    const rows = await t.sql<{ n: number }>(
      'SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1',
      [conv.id],
    );
    expect(rows[0].n).toBe(4);

    // The current branch's last user message: current moves up to A1, now a leaf.
    await api(user).remove(side.user_message.id);
    const after = await api(user).detail(conv.id);
    expect(after.current_message_id).toBe(one.assistant_message.id);
    expect(after.message_count).toBe(2);
    // The root: nothing left.
    await api(user).remove(one.user_message.id);
    expect(await api(user).detail(conv.id)).toMatchObject({
      current_message_id: null,
      message_count: 0,
      messages: [],
    });
  });

  it('every tab of the user sees a switch, a branch made by a send or a regeneration, and a delete that moves the branch (conversation_updated)', async () => {
    const user = await registerUser(t);
    const stranger = await registerUser(t);
    const conv = await aConversation(t, user);
    const [tab1, tab2, other] = await Promise.all([
      socketOf(user),
      socketOf(user),
      socketOf(stranger),
    ]);
    const one = (await api(user).send(conv.id, { content: 'Q1' })).body.data;
    const two = (await api(user).send(conv.id, { content: 'Q2' })).body.data;
    const updated = (tab: WsClient, from: number, current: string | null) =>
      tab.waitFor(
        (f) =>
          f.type === 'conversation_updated' &&
          f.conversation_id === conv.id &&
          f.current_message_id === current,
        { from },
      );

    // A switch.
    let from = [tab1.frames.length, tab2.frames.length];
    expect((await api(user).switchTo(conv.id, one.user_message.id)).status).toBe(200);
    for (const [i, tab] of [tab1, tab2].entries()) {
      const frame = await updated(tab, from[i], two.assistant_message.id);
      expect(Object.keys(frame).sort()).toEqual([
        'conversation_id',
        'current_message_id',
        'timestamp',
        'type',
      ]);
    }

    // A branch made by a send with parent_id (over one tab's socket), and by a regeneration.
    from = [tab1.frames.length, tab2.frames.length];
    const edited = await overSocket(tab1, {
      type: 'chat_message',
      conversation_id: conv.id,
      content: 'Q2 edited',
      parent_id: one.assistant_message.id,
    });
    for (const [i, tab] of [tab1, tab2].entries())
      await updated(tab, from[i], edited.start.message_id as string);
    from = [tab1.frames.length, tab2.frames.length];
    const regenerated = await api(user).regenerate(two.assistant_message.id);
    for (const [i, tab] of [tab1, tab2].entries())
      await updated(tab, from[i], regenerated.body.data.assistant_message.id as string);

    // A delete of the branch: current moves up.
    from = [tab1.frames.length, tab2.frames.length];
    expect((await api(user).remove(regenerated.body.data.assistant_message.id)).status).toBe(200);
    for (const [i, tab] of [tab1, tab2].entries())
      await updated(tab, from[i], two.assistant_message.id);

    await other.roundTrip();
    expect(other.frames.filter((f) => f.type === 'conversation_updated')).toEqual([]);
  });

  it('a regeneration racing a send on the same conversation leaves a consistent tree', async () => {
    const user = await registerUser(t);
    const conv = await aConversation(t, user);
    let last = (await api(user).send(conv.id, { content: 'Q0' })).body.data.assistant_message;
    for (let round = 1; round <= 4; round++) {
      const [regen, send] = await Promise.all([
        api(user).regenerate(last.id),
        api(user).send(conv.id, { content: `Q${round}` }),
      ]);
      expect([regen.status, send.status]).toEqual([201, 201]);
      last = send.body.data.assistant_message;
    }
    const tree = await api(user).list(conv.id, 'branch=all&order=asc&size=100');
    const byId = new Map(tree.messages.map((m) => [m.id, m]));
    const detail = await api(user).detail(conv.id);
    expect(tree.messages).toHaveLength(detail.message_count);
    expect(detail.message_count).toBe(2 + 4 * 3);
    // Every parent is in the tree; siblings are numbered 1..n without gaps.
    const children = new Map<string | null, TreeMessage[]>();
    for (const m of tree.messages) {
      if (m.parent_id !== null) expect(byId.has(m.parent_id)).toBe(true);
      children.set(m.parent_id, [...(children.get(m.parent_id) ?? []), m]);
    }
    for (const group of children.values()) {
      expect(group.map((m) => m.sibling_index)).toEqual(group.map((_, i) => i + 1));
      for (const m of group) expect(m.sibling_count).toBe(group.length);
    }
    // The current message is a leaf, and the branch runs from a root to it.
    expect(children.has(detail.current_message_id)).toBe(false);
    expect(detail.messages[0].parent_id).toBeNull();
    expect(detail.messages.at(-1)?.id).toBe(detail.current_message_id);
  });
});
