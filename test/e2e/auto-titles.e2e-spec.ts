import { randomUUID } from 'node:crypto';
import {
  AutoTitles,
  TITLE_MAX_TOKENS,
  TITLE_PROMPT,
} from '../../src/modules/generation/auto-titles';
import { aConversation, bearer, fetchQuota, registerUser, RegisteredUser } from '../factories';
import { bootApp, TestApp } from '../support/app';
import {
  fakeOpenAiEnv,
  FakeOpenAi,
  RecordedRequest,
  startFakeOpenAi,
} from '../support/fake-openai';
import { Scrape } from '../support/prometheus-text';
import { isTitleCall, titlesSettled as settled } from '../support/titles';
import { openSse, SseStream } from '../support/sse';
import { chatWsUrl, connectWs, WsClient } from '../support/ws-client';

const DEFAULT_TITLE = 'New conversation';
const QUESTION = 'How do I plan a three-day trip to Lisbon in spring?';

/** A promise and the function that settles it (holds a fake reply until the test says so). */
function gate(): { open: () => void; opened: Promise<void> } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

/** Event types in order, each run of content events as one. */
const shapeOf = (stream: SseStream) =>
  stream.events
    .map((e: { type: string }) => e.type)
    .filter((type: string, i: number, all: string[]) => type !== 'content' || all[i - 1] !== type);

describe('Automatic titles (API.md §11)', () => {
  let fake: FakeOpenAi;

  beforeAll(async () => {
    fake = await startFakeOpenAi();
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await fake?.close();
  });

  const titleCalls = (): RecordedRequest[] =>
    fake.chatRequests.filter((r) => isTitleCall(r.body ?? {}));
  const replyCalls = (): RecordedRequest[] =>
    fake.chatRequests.filter((r) => !isTitleCall(r.body ?? {}));

  describe('on (the default)', () => {
    let t: TestApp;
    let user: RegisteredUser;

    beforeAll(async () => {
      t = await bootApp(fakeOpenAiEnv(fake));
    });
    beforeEach(async () => {
      user = await registerUser(t);
    });
    afterAll(async () => {
      await t?.close();
    });

    const stream = (conversationId: string, content = QUESTION) =>
      openSse(`${t.url}/api/v1/conversations/${conversationId}/messages/stream`, {
        headers: bearer(user.accessToken),
        body: { content },
      });
    const send = (conversationId: string, content = QUESTION) =>
      t
        .api()
        .post(`/api/v1/conversations/${conversationId}/messages`)
        .set(bearer(user.accessToken))
        .send({ content })
        .expect(201);
    const titleOf = async (conversationId: string): Promise<string> =>
      (
        await t
          .api()
          .get(`/api/v1/conversations/${conversationId}`)
          .set(bearer(user.accessToken))
          .expect(200)
      ).body.data.title as string;
    const connect = () =>
      connectWs(chatWsUrl(t.url, `?token=${encodeURIComponent(user.accessToken)}`));
    const titlesSettled = () => settled(t);
    const scrape = async () => new Scrape((await t.api().get('/metrics').expect(200)).text);
    const updatesOf = (tab: WsClient) =>
      tab.frames.filter((f) => f.type === 'conversation_updated');

    it('pushes the title on the SSE stream before end, and once to every socket of the user', async () => {
      const conv = await aConversation(t, user);
      expect(conv.title).toBe(DEFAULT_TITLE);
      const tabs = [await connect(), await connect()];
      const titled = gate();
      fake.scriptWhen(isTitleCall, { text: 'Lisbon in three days' });
      // The reply waits for the title to reach the client: the order is the test's, not timing's.
      fake.script({ text: 'Start in Alfama.', holdUntil: titled.opened });

      const sse = await stream(conv.id);
      expect(sse.status).toBe(200);
      await sse.waitFor((f) => f.data?.type === 'title');
      titled.open();
      await sse.untilEnd();

      expect(shapeOf(sse)).toEqual(['start', 'title', 'content', 'end']);
      expect(sse.events[1]).toEqual({ type: 'title', title: 'Lisbon in three days' });
      expect(Number(sse.frames[1].id)).toBe(2);
      for (const tab of tabs) {
        await tab.waitForType('message_end');
        await tab.waitForType('conversation_updated');
        await tab.roundTrip();
        expect(updatesOf(tab)).toEqual([
          {
            type: 'conversation_updated',
            conversation_id: conv.id,
            title: 'Lisbon in three days',
            timestamp: expect.any(String),
          },
        ]);
      }
      expect(await titleOf(conv.id)).toBe('Lisbon in three days');
      // One short call with the conversation's model and the user's message.
      const [call] = titleCalls();
      expect(titleCalls()).toHaveLength(1);
      expect(call.body).toMatchObject({
        model: conv.model,
        max_tokens: TITLE_MAX_TOKENS,
        messages: [
          { role: 'system', content: TITLE_PROMPT },
          { role: 'user', content: QUESTION },
        ],
      });
      // A resume from the log replays the title too.
      const replay = await openSse(
        `${t.url}/api/v1/conversations/${conv.id}/messages/${sse.events[0].message_id}/stream`,
        { method: 'GET', headers: bearer(user.accessToken) },
      );
      await replay.untilEnd();
      expect(shapeOf(replay)).toEqual(['start', 'title', 'content', 'end']);
    });

    it('a title ready after end is not on the stream; sockets still get it', async () => {
      const conv = await aConversation(t, user);
      const tab = await connect();
      const ended = gate();
      fake.scriptWhen(isTitleCall, { text: 'Late title', holdUntil: ended.opened });

      const sse = await stream(conv.id);
      await sse.untilEnd();
      ended.open();
      await tab.waitForType('conversation_updated');
      await titlesSettled();

      expect(shapeOf(sse)).toEqual(['start', 'content', 'end']);
      expect(updatesOf(tab).map((f) => f.title)).toEqual(['Late title']);
      expect(await titleOf(conv.id)).toBe('Late title');
    });

    it('is sent over WebSocket sends too, once per socket', async () => {
      const conv = await aConversation(t, user);
      const [sender, other] = [await connect(), await connect()];
      fake.scriptWhen(isTitleCall, { text: 'Spring in Lisbon' });

      sender.send({
        type: 'chat_message',
        conversation_id: conv.id,
        content: QUESTION,
        request_id: randomUUID(),
      });
      for (const tab of [sender, other]) {
        await tab.waitForType('message_end');
        await tab.waitForType('conversation_updated');
      }
      await titlesSettled();
      for (const tab of [sender, other]) {
        await tab.roundTrip();
        expect(updatesOf(tab).map((f) => f.title)).toEqual(['Spring in Lisbon']);
        expect(tab.frames.some((f) => f.type === 'title')).toBe(false);
      }
    });

    it("is not billed: the user's quota counts the reply only; the metrics count the call", async () => {
      const conv = await aConversation(t, user);
      // A costly title: billed, it would show.
      fake.scriptWhen(isTitleCall, {
        text: 'Lisbon trip',
        usage: { prompt_tokens: 700, completion_tokens: 300 },
      });
      fake.script({ text: 'Start in Alfama.', usage: { prompt_tokens: 20, completion_tokens: 5 } });
      const quotaBefore = await fetchQuota(t, user);
      const before = await scrape();

      const res = await send(conv.id);
      await titlesSettled();
      expect(await titleOf(conv.id)).toBe('Lisbon trip');

      const quotaAfter = await fetchQuota(t, user);
      expect(res.body.data.usage.total_tokens).toBe(25);
      expect({
        requests: quotaAfter.usage_today.requests - quotaBefore.usage_today.requests,
        tokens: quotaAfter.usage_today.tokens - quotaBefore.usage_today.tokens,
      }).toEqual({ requests: 1, tokens: 25 });
      const after = await scrape();
      const delta = (name: string, labels: Record<string, string>) =>
        after.value(name, labels) - before.value(name, labels);
      expect({
        titleCalls: delta('openai_requests_total', { purpose: 'title', status: 'ok' }),
        replyCalls: delta('openai_requests_total', { purpose: 'reply', status: 'ok' }),
        titleTokens: delta('openai_tokens_total', { purpose: 'title' }),
      }).toEqual({ titleCalls: 1, replyCalls: 1, titleTokens: 1000 });
    });

    it('a rename made while the title is being made is not overwritten', async () => {
      const conv = await aConversation(t, user);
      const tab = await connect();
      const renamed = gate();
      fake.scriptWhen(isTitleCall, { text: 'Automatic title', holdUntil: renamed.opened });

      const sse = await stream(conv.id);
      await sse.waitFor((f) => f.data?.type === 'start');
      await t
        .api()
        .put(`/api/v1/conversations/${conv.id}`)
        .set(bearer(user.accessToken))
        .send({ title: 'My own title' })
        .expect(200);
      renamed.open();
      await sse.untilEnd();
      await titlesSettled();

      expect(titleCalls()).toHaveLength(1);
      expect(titleCalls()[0].finished).toBe(true);
      expect(await titleOf(conv.id)).toBe('My own title');
      expect(sse.events.some((e: { type: string }) => e.type === 'title')).toBe(false);
      await tab.roundTrip();
      expect(updatesOf(tab).map((f) => f.title)).toEqual(['My own title']);
    });

    it.each([
      [
        'reasoning and markdown',
        '<think>The user plans a trip.</think>\n\n**"Lisbon Trip Plan."**',
        'Lisbon Trip Plan',
      ],
      ['an empty answer', '', QUESTION],
      ['only unfinished reasoning', '<think>Hmm, a title for a trip to', QUESTION],
    ])('cleans junk from the model (%s)', async (_case, text, title) => {
      const conv = await aConversation(t, user);
      fake.scriptWhen(isTitleCall, { text });

      await send(conv.id);
      await titlesSettled();

      expect(await titleOf(conv.id)).toBe(title);
    });

    it('a failed title call is harmless: the reply is fine, the default title stays', async () => {
      const conv = await aConversation(t, user);
      fake.scriptWhen(isTitleCall, { status: 500 });
      const before = await scrape();

      const sse = await stream(conv.id);
      await sse.untilEnd();
      await titlesSettled();

      expect(shapeOf(sse)).toEqual(['start', 'content', 'end']);
      expect(titleCalls()).toHaveLength(1);
      expect(await titleOf(conv.id)).toBe(DEFAULT_TITLE);
      const after = await scrape();
      expect(
        after.value('openai_requests_total', { purpose: 'title', status: 'upstream_error' }) -
          before.value('openai_requests_total', { purpose: 'title', status: 'upstream_error' }),
      ).toBe(1);
    });

    it('a conversation created with a title gets no title call', async () => {
      const conv = await aConversation(t, user, { title: 'Named by me' });

      await send(conv.id);
      await titlesSettled();

      expect(replyCalls()).toHaveLength(1);
      expect(titleCalls()).toHaveLength(0);
      expect(await titleOf(conv.id)).toBe('Named by me');
    });

    it('only the first reply asks for a title', async () => {
      const conv = await aConversation(t, user);
      // The first title fails: the conversation keeps its default title, and still the
      // second send asks for none.
      fake.scriptWhen(isTitleCall, { status: 500 });

      await send(conv.id);
      await titlesSettled();
      await send(conv.id, 'And in summer?');
      await titlesSettled();

      expect(replyCalls()).toHaveLength(2);
      expect(titleCalls()).toHaveLength(1);
      expect(await titleOf(conv.id)).toBe(DEFAULT_TITLE);
    });
  });

  describe('AUTO_TITLE=false', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await bootApp({ ...fakeOpenAiEnv(fake), AUTO_TITLE: 'false' });
    });
    afterAll(async () => {
      await t?.close();
    });

    it('makes no title call and keeps the default title', async () => {
      const user = await registerUser(t);
      const conv = await aConversation(t, user);

      const sse = await openSse(`${t.url}/api/v1/conversations/${conv.id}/messages/stream`, {
        headers: bearer(user.accessToken),
        body: { content: QUESTION },
      });
      await sse.untilEnd();

      expect(shapeOf(sse)).toEqual(['start', 'content', 'end']);
      expect(t.app.get(AutoTitles).running).toBe(0);
      expect(titleCalls()).toHaveLength(0);
      expect(replyCalls()).toHaveLength(1);
      const res = await t
        .api()
        .get(`/api/v1/conversations/${conv.id}`)
        .set(bearer(user.accessToken))
        .expect(200);
      expect(res.body.data.title).toBe(DEFAULT_TITLE);
    });
  });
});
