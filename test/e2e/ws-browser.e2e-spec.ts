import WebSocket from 'ws';
import { EVENT_BUS } from '../../src/redis/event-bus';
import { registerUser, RegisteredUser } from '../factories';
import { bootApp, TestApp } from '../support/app';
import { ISO_UTC, UUID } from '../support/expect';

/**
 * The contract's JavaScript client (API.md §9) opens `ws://…/api/v1/ws/chat?token=…`, sends
 * a chat_message and logs each JSON frame. Node 20 has no stable global WebSocket, so these
 * tests use the `ws` package through its browser-style API (`new WebSocket(url)`, `onopen`,
 * `onmessage = (event) => JSON.parse(event.data)`, `send(JSON.stringify(…))`), written as a
 * browser page would write it, with fetch for the REST calls.
 */

interface Logged {
  type: string;
  [key: string]: any;
}

/** The page's code: log in, create a conversation, then chat over the socket until the end. */
async function browserPage(
  origin: string,
  username: string,
  password: string,
  open: (wsBase: string, accessToken: string) => WebSocket,
): Promise<{ log: Logged[]; conversationId: string; accessToken: string }> {
  const api = async (method: string, path: string, token: string | null, body?: unknown) => {
    const res = await fetch(`${origin}/api/v1${path}`, {
      method,
      headers: {
        'Content-Type': 'application/json',
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return (await res.json()) as { data: any };
  };
  const login = await api('POST', '/auth/login', null, { username, password });
  const accessToken = login.data.access_token as string;
  const conversation = await api('POST', '/conversations', accessToken, {
    title: 'Browser',
    model: 'gpt-3.5-turbo',
  });
  const conversationId = conversation.data.id as string;

  const log: Logged[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no end; got ${JSON.stringify(log)}`)), 10_000);
    const ws = open(origin.replace(/^http/, 'ws'), accessToken);
    ws.onopen = () => {
      ws.send(
        JSON.stringify({
          type: 'chat_message',
          conversation_id: conversationId,
          content: 'Hello, world!',
          model: 'gpt-3.5-turbo',
          temperature: 0.7,
        }),
      );
    };
    ws.onmessage = (event) => {
      const data = JSON.parse(event.data as string) as Logged;
      log.push(data);
      if (data.type === 'message_end' || data.type === 'error') {
        clearTimeout(timer);
        ws.close();
        resolve();
      }
    };
    ws.onerror = (event) => {
      clearTimeout(timer);
      reject(new Error(`socket error: ${event.message}`));
    };
  });
  return { log, conversationId, accessToken };
}

describe("the contract's browser-style WebSocket client", () => {
  let t: TestApp;
  let user: RegisteredUser;

  beforeAll(async () => {
    t = await bootApp({
      OPENAI_API_KEY: undefined,
      LLM_PROVIDER: 'offline',
      OFFLINE_TOKEN_DELAY_MS: '2',
      MODELS_FILE: undefined,
      MODELS_JSON: undefined,
      DEFAULT_MODEL: undefined,
      CORS_ORIGINS: undefined,
      JWT_ACCESS_TTL: undefined,
      RATE_LIMIT_AUTH: '10000',
      RATE_LIMIT_DEFAULT: '100000',
      RATE_LIMIT_MESSAGES: '10000',
    });
    await t.app.get<unknown, { ready?: () => Promise<void> }>(EVENT_BUS).ready?.();
    user = await registerUser(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  /** message_start, message_content…, message_end for one message, each with a timestamp. */
  const expectConversation = async (log: Logged[], conversationId: string, token: string) => {
    const types = log.map((f) => f.type);
    expect(types[0]).toBe('message_start');
    expect(types.at(-1)).toBe('message_end');
    expect(types.slice(1, -1).length).toBeGreaterThan(0);
    expect(types.slice(1, -1).every((type) => type === 'message_content')).toBe(true);
    const messageId = log[0].message_id as string;
    expect(messageId).toMatch(UUID);
    for (const frame of log) {
      expect(frame.timestamp).toMatch(ISO_UTC);
      expect(frame.conversation_id).toBe(conversationId);
      expect(frame.message_id).toBe(messageId);
    }
    expect(log.map((f) => f.seq)).toEqual(log.map((_, i) => i + 1));
    const usage = log.at(-1)!.usage as Record<string, number>;
    expect(usage.total_tokens).toBeGreaterThan(0);
    expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);
    const text = log
      .filter((f) => f.type === 'message_content')
      .map((f) => f.content as string)
      .join('');
    // What streamed is what was stored.
    const res = await fetch(`${t.url}/api/v1/conversations/${conversationId}`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    const body = (await res.json()) as { data: { messages: { id: string; content: string }[] } };
    expect(body.data.messages.find((m) => m.id === messageId)?.content).toBe(text);
  };

  it('new WebSocket(`ws://…/api/v1/ws/chat?token=${token}`) with onopen/onmessage logs message_start, message_content…, message_end', async () => {
    const { log, conversationId, accessToken } = await browserPage(
      t.url,
      user.username,
      user.password,
      (wsBase, token) => new WebSocket(`${wsBase}/api/v1/ws/chat?token=${token}`),
    );
    expect(t.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await expectConversation(log, conversationId, accessToken);
  });

  it("works the same with the token in the subprotocol: new WebSocket(url, ['bearer', token])", async () => {
    const { log, conversationId, accessToken } = await browserPage(
      t.url,
      user.username,
      user.password,
      (wsBase, token) => new WebSocket(`${wsBase}/api/v1/ws/chat`, ['bearer', token]),
    );
    await expectConversation(log, conversationId, accessToken);
  });
});
