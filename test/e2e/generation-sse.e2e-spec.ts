import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { countChatTokens, countTextTokens } from '../../src/modules/llm/tokenizer';
import { aConversation, bearer, fetchQuota, registerUser, RegisteredUser } from '../factories';
import { bootApp, TestApp } from '../support/app';
import { FakeOpenAi, piecesOf, startFakeOpenAi } from '../support/fake-openai';
import { openSse, readSse, SseFrame, SseStream } from '../support/sse';
import { UUID, sleep, until } from '../support/expect';
import { TITLES_OFF } from '../support/titles';

/** One frame as API.md §5 writes it: `id: N`, then `data: {json}`, then a blank line. */
const FRAME = /^id: (\d+)\ndata: (\{.*\})$/;

const words = (n: number, tag = 'w') => Array.from({ length: n }, (_, i) => `${tag}${i}`).join(' ');
const contentOf = (frames: SseFrame[]) =>
  frames
    .filter((f) => f.data?.type === 'content')
    .map((f) => f.data.content as string)
    .join('');
const idsOf = (frames: SseFrame[]) => frames.map((f) => Number(f.id));
const range = (from: number, to: number) =>
  Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

function expectError(
  res: Response | { status: number; body: any },
  status: number,
  code: string,
): void {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
  expect(res.body.success).toBe(false);
}

describe('Streaming replies over SSE: stream, resume, stop', () => {
  let fake: FakeOpenAi;
  let t: TestApp;

  beforeAll(async () => {
    fake = await startFakeOpenAi();
    t = await bootApp({
      ...TITLES_OFF,
      OPENAI_API_KEY: 'sk-e2e',
      OPENAI_BASE_URL: fake.baseURL,
      LLM_PROVIDER: 'openai',
      LLM_MAX_RETRIES: '0',
      LLM_REQUEST_TIMEOUT_MS: '5000',
      LLM_FIRST_TOKEN_TIMEOUT_MS: '5000',
      LLM_IDLE_TIMEOUT_MS: '5000',
      MODELS_FILE: undefined,
      MODELS_JSON: undefined,
      DEFAULT_MODEL: undefined,
      RATE_LIMIT_AUTH: '10000',
      RATE_LIMIT_DEFAULT: '100000',
      RATE_LIMIT_MESSAGES: '10000',
    });
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  const streamUrl = (conversationId: string) =>
    `${t.url}/api/v1/conversations/${conversationId}/messages/stream`;
  const resumeUrl = (conversationId: string, messageId: string, query = '') =>
    `${t.url}/api/v1/conversations/${conversationId}/messages/${messageId}/stream${query}`;
  const openStream = (
    user: RegisteredUser,
    conversationId: string,
    body: unknown,
    headers: Record<string, string> = {},
  ) =>
    openSse(streamUrl(conversationId), {
      headers: { ...bearer(user.accessToken), ...headers },
      body,
    });
  const resume = (
    user: RegisteredUser,
    conversationId: string,
    messageId: string,
    query = '',
    headers: Record<string, string> = {},
  ) =>
    openSse(resumeUrl(conversationId, messageId, query), {
      headers: { ...bearer(user.accessToken), ...headers },
    });
  const stop = (user: RegisteredUser, messageId: string) =>
    t.api().post(`/api/v1/messages/${messageId}/stop`).set(bearer(user.accessToken)).send();
  const row = async (id: string) => {
    const [r] = await t.sql<{ status: string; content: string; tokens_used: number; role: string }>(
      'SELECT status, content, tokens_used, role FROM messages WHERE id = $1',
      [id],
    );
    return r;
  };
  /** Checks the whole body is well-formed frames numbered 1, 2, … and returns them. */
  const expectWellFormed = (stream: SseStream, firstId = 1): void => {
    expect(stream.text.endsWith('\n\n')).toBe(true);
    const blocks = stream.text.slice(0, -2).split('\n\n');
    expect(blocks).toHaveLength(stream.frames.length);
    blocks.forEach((block, i) => {
      const match = FRAME.exec(block);
      expect(match).not.toBeNull();
      expect(Number(match![1])).toBe(firstId + i);
      expect(JSON.parse(match![2])).toEqual(stream.frames[i].data);
    });
  };

  describe('POST …/messages/stream', () => {
    let user: RegisteredUser;

    beforeAll(async () => {
      user = await registerUser(t);
    });

    it('streams start, content…, end as API.md §5 frames with id: = event number and the SSE headers', async () => {
      const conv = await aConversation(t, user);
      const before = await fetchQuota(t, user);
      const text = words(20, 'piece');
      fake.script({
        text,
        chunkIntervalMs: 15,
        usage: { prompt_tokens: 50, completion_tokens: 20 },
      });

      const stream = await openStream(user, conv.id, { content: 'Stream to me', role: 'user' });
      expect(stream.status).toBe(200);
      expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
      expect(stream.headers['cache-control']).toMatch(/\bno-cache\b/);
      expect(stream.headers['x-accel-buffering']).toBe('no');

      // Frames arrive while the reply is being generated, not all at the end.
      const firstContent = await stream.waitFor((f) => f.data?.type === 'content');
      const start = stream.frames[0].data;
      expect(start).toEqual({
        type: 'start',
        message_id: expect.stringMatching(UUID),
        conversation_id: conv.id,
        user_message_id: expect.stringMatching(UUID),
      });
      expect((await row(start.message_id as string)).status).toBe('streaming');
      expect(firstContent.data).toEqual({ type: 'content', content: piecesOf(text)[0] });

      await stream.untilEnd();
      expectWellFormed(stream);
      const events = stream.events;
      expect(events.slice(1, -1)).toEqual(
        piecesOf(text).map((content) => ({ type: 'content', content })),
      );
      expect(events.at(-1)).toEqual({
        type: 'end',
        usage: { prompt_tokens: 50, completion_tokens: 20, total_tokens: 70 },
        stopped: false,
      });

      expect(await row(start.message_id as string)).toEqual({
        status: 'completed',
        content: text,
        tokens_used: 20,
        role: 'assistant',
      });
      expect(await row(start.user_message_id as string)).toMatchObject({
        role: 'user',
        content: 'Stream to me',
        status: 'completed',
      });
      const after = await fetchQuota(t, user);
      expect(after.usage_today).toEqual({
        requests: before.usage_today.requests + 1,
        tokens: before.usage_today.tokens + 70,
      });
    });

    it('POST …/messages with stream: true answers as the stream endpoint does', async () => {
      const conv = await aConversation(t, user);
      fake.script({ text: 'Streamed through send.', chunkIntervalMs: 5 });
      const stream = await readSse(`${t.url}/api/v1/conversations/${conv.id}/messages`, {
        headers: bearer(user.accessToken),
        body: { content: 'hello', role: 'user', stream: true },
      });
      expect(stream.status).toBe(200);
      expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
      expect(stream.headers['x-accel-buffering']).toBe('no');
      expectWellFormed(stream);
      expect(stream.events[0]).toMatchObject({
        type: 'start',
        message_id: expect.stringMatching(UUID),
      });
      expect(contentOf(stream.frames)).toBe('Streamed through send.');
      expect(stream.events.at(-1)).toMatchObject({ type: 'end', stopped: false });
      expect(await row(stream.events[0].message_id as string)).toMatchObject({
        status: 'completed',
        content: 'Streamed through send.',
      });
    });

    it('a provider failure after start ends the stream with an error event; partial reply stored as failed; request released', async () => {
      const conv = await aConversation(t, user);
      const before = await fetchQuota(t, user);
      const text = words(10, 'part');
      // The role chunk and three pieces, then the connection drops.
      fake.script({ text, chunkIntervalMs: 5, cutAfterChunks: 4 });

      const stream = await readSse(streamUrl(conv.id), {
        headers: bearer(user.accessToken),
        body: { content: 'fail midway', role: 'user' },
      });
      expect(stream.status).toBe(200);
      expectWellFormed(stream);
      const events = stream.events;
      expect(events[0].type).toBe('start');
      expect(events.filter((e) => e.type === 'end')).toEqual([]);
      const last = events.at(-1);
      expect(Object.keys(last).sort()).toEqual(['error', 'type']);
      expect(last.type).toBe('error');
      expect(Object.keys(last.error).sort()).toEqual(['code', 'message']);
      expect(last.error.code).toBe('OPENAI_API_ERROR');
      expect(typeof last.error.message).toBe('string');
      const partial = piecesOf(text).slice(0, 3).join('');
      expect(contentOf(stream.frames)).toBe(partial);

      const id = events[0].message_id as string;
      expect(await row(id)).toMatchObject({ status: 'failed', content: partial });
      expect(await fetchQuota(t, user)).toEqual(before);

      // Resuming a failed reply replays it up to its error.
      const replay = await readSse(resumeUrl(conv.id, id), { headers: bearer(user.accessToken) });
      expect(replay.status).toBe(200);
      expect(replay.events).toEqual(events);
    });

    it('a retried stream with the same Idempotency-Key attaches to the running generation', async () => {
      const conv = await aConversation(t, user);
      const text = words(30);
      fake.script({ text, chunkIntervalMs: 15 });
      const key = `stream-${randomUUID()}`;
      const first = await openStream(
        user,
        conv.id,
        { content: 'once', role: 'user' },
        { 'Idempotency-Key': key },
      );
      await first.waitFor((f) => f.data?.type === 'content');
      const second = await openStream(
        user,
        conv.id,
        { content: 'once', role: 'user' },
        { 'Idempotency-Key': key },
      );
      expect(second.status).toBe(200);
      await Promise.all([first.untilEnd(), second.untilEnd()]);
      expect(second.events[0].message_id).toBe(first.events[0].message_id);
      expect(second.events).toEqual(first.events);
      expect(contentOf(second.frames)).toBe(text);
      expect(fake.chatRequests).toHaveLength(1);
      const [{ n }] = await t.sql<{ n: number }>(
        'SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1',
        [conv.id],
      );
      expect(n).toBe(2);
    });
  });

  describe('disconnect and resume', () => {
    let user: RegisteredUser;

    beforeAll(async () => {
      user = await registerUser(t);
    });

    it('a client that disconnects does not stop the generation; Last-Event-ID resumes it live without gaps or repeats', async () => {
      const conv = await aConversation(t, user);
      const before = await fetchQuota(t, user);
      const text = words(40);
      fake.script({
        text,
        chunkIntervalMs: 15,
        usage: { prompt_tokens: 30, completion_tokens: 40 },
      });

      const first = await openStream(user, conv.id, { content: 'go on without me', role: 'user' });
      await first.waitForFrames(3);
      first.disconnect();
      const seen = first.frames.slice();
      const messageId = seen[0].data.message_id as string;
      const lastId = seen.at(-1)!.id!;
      expect(idsOf(seen)).toEqual(range(1, seen.length));

      const again = await resume(user, conv.id, messageId, '', { 'Last-Event-ID': lastId });
      expect(again.status).toBe(200);
      expect(again.headers['content-type']).toMatch(/^text\/event-stream/);
      // Still live when the resumed stream opens.
      expect((await row(messageId)).status).toBe('streaming');
      await again.untilEnd();
      expectWellFormed(again, Number(lastId) + 1);
      expect(contentOf([...seen, ...again.frames])).toBe(text);
      expect(again.events.at(-1)).toEqual({
        type: 'end',
        usage: { prompt_tokens: 30, completion_tokens: 40, total_tokens: 70 },
        stopped: false,
      });

      // The upstream call ran to its end; the reply is stored and billed.
      expect(fake.chatRequests).toHaveLength(1);
      expect(fake.chatRequests[0].closedByClient).toBe(false);
      expect(fake.chatRequests[0].finished).toBe(true);
      expect(await row(messageId)).toMatchObject({
        status: 'completed',
        content: text,
        tokens_used: 40,
      });
      const after = await fetchQuota(t, user);
      expect(after.usage_today).toEqual({
        requests: before.usage_today.requests + 1,
        tokens: before.usage_today.tokens + 70,
      });
    });

    it('a disconnected client’s reply completes on its own; after the end, resume replays all, or the rest, and closes', async () => {
      const conv = await aConversation(t, user);
      const text = words(12);
      fake.script({ text, chunkIntervalMs: 10 });
      const first = await openStream(user, conv.id, { content: 'finish alone', role: 'user' });
      await first.waitForFrames(2);
      first.disconnect();
      const messageId = first.frames[0].data.message_id as string;
      await until(
        async () => (await row(messageId)).status === 'completed',
        5000,
        'the reply to complete',
      );
      expect((await row(messageId)).content).toBe(text);
      expect(fake.chatRequests[0].closedByClient).toBe(false);

      const all = await readSse(resumeUrl(conv.id, messageId), {
        headers: bearer(user.accessToken),
      });
      expect(all.status).toBe(200);
      expectWellFormed(all);
      const total = all.frames.length;
      expect(total).toBe(piecesOf(text).length + 2);
      expect(all.events[0]).toMatchObject({
        type: 'start',
        message_id: messageId,
        conversation_id: conv.id,
      });
      expect(contentOf(all.frames)).toBe(text);
      expect(all.events.at(-1)).toMatchObject({ type: 'end', stopped: false });

      const rest = await readSse(resumeUrl(conv.id, messageId, '?after=4'), {
        headers: bearer(user.accessToken),
      });
      expectWellFormed(rest, 5);
      expect(rest.frames).toEqual(all.frames.slice(4));

      const byHeader = await readSse(resumeUrl(conv.id, messageId), {
        headers: { ...bearer(user.accessToken), 'Last-Event-ID': String(total - 1) },
      });
      expect(byHeader.frames).toEqual(all.frames.slice(total - 1));

      const nothingLeft = await readSse(resumeUrl(conv.id, messageId, `?after=${total}`), {
        headers: bearer(user.accessToken),
      });
      expect(nothingLeft.status).toBe(200);
      expect(nothingLeft.frames).toEqual([]);
    });

    it('a malformed ?after → 400', async () => {
      const conv = await aConversation(t, user);
      fake.script({ text: 'short' });
      const done = await readSse(streamUrl(conv.id), {
        headers: bearer(user.accessToken),
        body: { content: 'x', role: 'user' },
      });
      const messageId = done.events[0].message_id as string;
      for (const after of ['abc', '-1']) {
        const res = await t
          .api()
          .get(`/api/v1/conversations/${conv.id}/messages/${messageId}/stream?after=${after}`)
          .set(bearer(user.accessToken));
        expectError(res, 400, 'VALIDATION_ERROR');
      }
    });
  });

  describe('POST /messages/:id/stop', () => {
    let user: RegisteredUser;

    beforeAll(async () => {
      user = await registerUser(t);
    });

    it('aborts the upstream call, keeps the partial reply as stopped, bills it, and ends every subscriber with stopped: true', async () => {
      const conv = await aConversation(t, user);
      const before = await fetchQuota(t, user);
      const text = words(150);
      fake.script({ text, chunkIntervalMs: 20 });
      const key = `stop-${randomUUID()}`;

      // Three subscribers: the sender's stream, a resumed stream, and a send attached by its key.
      const sender = await openStream(
        user,
        conv.id,
        { content: 'talk for a while', role: 'user' },
        { 'Idempotency-Key': key },
      );
      const start = await sender.waitFor((f) => f.data?.type === 'start');
      const messageId = start.data.message_id as string;
      const watcher = await resume(user, conv.id, messageId, '?after=0');
      const attached = t
        .api()
        .post(`/api/v1/conversations/${conv.id}/messages`)
        .set(bearer(user.accessToken))
        .set('Idempotency-Key', key)
        .send({ content: 'talk for a while', role: 'user' })
        .then((r) => r);
      await sender.waitFor((f) => f.data?.type === 'content' && sender.frames.length >= 5);

      const res = await stop(user, messageId);
      expect(res.status).toBe(200);
      expect(res.body.success).toBe(true);
      expect(res.body.data).toMatchObject({ id: messageId, role: 'assistant', status: 'stopped' });
      const partial = res.body.data.content as string;
      expect(partial.length).toBeGreaterThan(0);
      expect(text.startsWith(partial)).toBe(true);
      expect(partial.length).toBeLessThan(text.length);

      expect(await fake.waitForClientClose(fake.chatRequests[0])).toBe(true);
      expect(fake.chatRequests).toHaveLength(1);

      await Promise.all([sender.untilEnd(), watcher.untilEnd()]);
      const prompt = countChatTokens(fake.chatRequests[0].body!.messages as never);
      const completion = countTextTokens(partial);
      const end = {
        type: 'end',
        usage: {
          prompt_tokens: prompt,
          completion_tokens: completion,
          total_tokens: prompt + completion,
        },
        stopped: true,
      };
      for (const stream of [sender, watcher]) {
        expectWellFormed(stream);
        expect(stream.events.at(-1)).toEqual(end);
        expect(stream.events.filter((e) => e.type === 'error')).toEqual([]);
        expect(contentOf(stream.frames)).toBe(partial);
      }
      const attachedRes = await attached;
      expect(attachedRes.status).toBe(201);
      expect(attachedRes.body.data.assistant_message).toMatchObject({
        id: messageId,
        status: 'stopped',
        content: partial,
      });
      expect(attachedRes.body.data.usage).toEqual(end.usage);

      expect(await row(messageId)).toMatchObject({
        status: 'stopped',
        content: partial,
        tokens_used: completion,
      });
      const after = await fetchQuota(t, user);
      expect(after.usage_today).toEqual({
        requests: before.usage_today.requests + 1,
        tokens: before.usage_today.tokens + prompt + completion,
      });

      // Resuming the stopped reply replays it to its stopped end.
      const replay = await readSse(resumeUrl(conv.id, messageId), {
        headers: bearer(user.accessToken),
      });
      expect(replay.events).toEqual(sender.events);
    });

    it('stops a non-streaming send: it answers 201 with the stopped reply', async () => {
      const conv = await aConversation(t, user);
      fake.script({ text: words(150), chunkIntervalMs: 20 });
      const pending = t
        .api()
        .post(`/api/v1/conversations/${conv.id}/messages`)
        .set(bearer(user.accessToken))
        .send({ content: 'stop me', role: 'user' })
        .then((r) => r);
      let messageId = '';
      await until(async () => {
        const [r] = await t.sql<{ id: string; content: string }>(
          "SELECT id, content FROM messages WHERE conversation_id = $1 AND role = 'assistant'",
          [conv.id],
        );
        messageId = r?.id ?? '';
        return fake.chatRequests.length === 1 && messageId !== '';
      });
      await sleep(100);
      const stopped = await stop(user, messageId);
      expect(stopped.status).toBe(200);
      const res = await pending;
      expect(res.status).toBe(201);
      expect(res.body.data.assistant_message).toMatchObject({ id: messageId, status: 'stopped' });
      expect(res.body.data.assistant_message.content).toBe(stopped.body.data.content);
      expect(await fake.waitForClientClose(fake.chatRequests[0])).toBe(true);
    });

    it('stopping a reply that has already ended changes nothing', async () => {
      const conv = await aConversation(t, user);
      fake.script({ text: 'All done.' });
      const done = await readSse(streamUrl(conv.id), {
        headers: bearer(user.accessToken),
        body: { content: 'quick', role: 'user' },
      });
      const messageId = done.events[0].message_id as string;
      const before = await fetchQuota(t, user);
      const res = await stop(user, messageId);
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({
        id: messageId,
        status: 'completed',
        content: 'All done.',
      });
      expect(await row(messageId)).toMatchObject({ status: 'completed', content: 'All done.' });
      expect(await fetchQuota(t, user)).toEqual(before);
    });
  });

  describe('ownership and identifiers', () => {
    let owner: RegisteredUser;
    let intruder: RegisteredUser;

    beforeAll(async () => {
      owner = await registerUser(t);
      intruder = await registerUser(t);
    });

    it('another user’s message → 404 for resume and stop; their stop does not stop it', async () => {
      const conv = await aConversation(t, owner);
      const intruderConv = await aConversation(t, intruder);
      const text = words(30);
      fake.script({ text, chunkIntervalMs: 15 });
      const stream = await openStream(owner, conv.id, { content: 'mine', role: 'user' });
      const start = await stream.waitFor((f) => f.data?.type === 'start');
      const messageId = start.data.message_id as string;
      const userMessageId = start.data.user_message_id as string;

      const viaOwnersConversation = await readSse(resumeUrl(conv.id, messageId), {
        headers: bearer(intruder.accessToken),
      });
      expect(viaOwnersConversation.status).toBe(404);
      expect(viaOwnersConversation.json?.error?.code).toBe('RESOURCE_NOT_FOUND');
      const viaOwnConversation = await readSse(resumeUrl(intruderConv.id, messageId), {
        headers: bearer(intruder.accessToken),
      });
      expect(viaOwnConversation.status).toBe(404);
      expect(viaOwnConversation.json?.error?.code).toBe('RESOURCE_NOT_FOUND');
      expectError(await stop(intruder, messageId), 404, 'RESOURCE_NOT_FOUND');
      expectError(await stop(intruder, userMessageId), 404, 'RESOURCE_NOT_FOUND');

      await stream.untilEnd();
      expect(stream.events.at(-1)).toMatchObject({ type: 'end', stopped: false });
      expect(contentOf(stream.frames)).toBe(text);
      expect(fake.chatRequests[0].closedByClient).toBe(false);
      expect(await row(messageId)).toMatchObject({ status: 'completed', content: text });
    });

    it('resume names the message under its own conversation: another conversation in the path → 404', async () => {
      const a = await aConversation(t, owner);
      const b = await aConversation(t, owner);
      const intruderConv = await aConversation(t, intruder);
      fake.script({ text: 'in a' });
      const done = await readSse(streamUrl(a.id), {
        headers: bearer(owner.accessToken),
        body: { content: 'x', role: 'user' },
      });
      const messageId = done.events[0].message_id as string;

      for (const conversationId of [b.id, intruderConv.id, randomUUID()]) {
        const res = await readSse(resumeUrl(conversationId, messageId), {
          headers: bearer(owner.accessToken),
        });
        expect(res.status).toBe(404);
        expect(res.json?.error?.code).toBe('RESOURCE_NOT_FOUND');
      }
      const ok = await readSse(resumeUrl(a.id, messageId), { headers: bearer(owner.accessToken) });
      expect(ok.status).toBe(200);
    });

    it('a user message, or an unknown id → 404 for resume and stop', async () => {
      const conv = await aConversation(t, owner);
      fake.script({ text: 'reply' });
      const done = await readSse(streamUrl(conv.id), {
        headers: bearer(owner.accessToken),
        body: { content: 'x', role: 'user' },
      });
      const userMessageId = done.events[0].user_message_id as string;
      for (const id of [userMessageId, randomUUID()]) {
        const res = await readSse(resumeUrl(conv.id, id), { headers: bearer(owner.accessToken) });
        expect(res.status).toBe(404);
        expect(res.json?.error?.code).toBe('RESOURCE_NOT_FOUND');
        expectError(await stop(owner, id), 404, 'RESOURCE_NOT_FOUND');
      }
    });

    it('malformed UUIDs → 400 for stream, resume and stop; no token → 401', async () => {
      const conv = await aConversation(t, owner);
      const streamed = await readSse(streamUrl('not-a-uuid'), {
        headers: bearer(owner.accessToken),
        body: { content: 'x', role: 'user' },
      });
      expect(streamed.status).toBe(400);
      expect(streamed.json?.error?.code).toBe('VALIDATION_ERROR');
      for (const url of [resumeUrl(conv.id, 'nope'), resumeUrl('nope', randomUUID())]) {
        const res = await readSse(url, { headers: bearer(owner.accessToken) });
        expect(res.status).toBe(400);
        expect(res.json?.error?.code).toBe('VALIDATION_ERROR');
      }
      expectError(await stop(owner, 'nope'), 400, 'VALIDATION_ERROR');
      expectError(
        await t.api().post(`/api/v1/messages/${randomUUID()}/stop`).send(),
        401,
        'AUTHENTICATION_ERROR',
      );
      const anonymous = await readSse(resumeUrl(conv.id, randomUUID()));
      expect(anonymous.status).toBe(401);
      expect(fake.chatRequests).toHaveLength(0);
    });
  });
});
