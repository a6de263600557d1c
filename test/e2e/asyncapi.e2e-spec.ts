import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { join } from 'node:path';
import { ERROR_CODES } from '../../src/common/errors/error-codes';
import {
  CLIENT_FRAME_TYPES,
  SERVER_FRAME_TYPES,
  WS_CLOSE_GOING_AWAY,
  WS_CLOSE_POLICY,
  WS_CLOSE_UNAUTHORIZED,
  WS_MAX_FRAME_BYTES,
} from '../../src/modules/chat/ws-events';
import { GENERATION_EVENT_TYPES } from '../../src/modules/generation/generation-events';
import { aConversation, bearer, registerUser, RegisteredUser } from '../factories';
import { bootApp, TestApp } from '../support/app';
import { FakeOpenAi, startFakeOpenAi } from '../support/fake-openai';
import { resolvePointer, validateSchema } from '../support/json-schema';
import { readSse } from '../support/sse';
import { isTitleCall, titlesSettled } from '../support/titles';
import { chatWsUrl, closeAllWs, connectWs, WsFrame } from '../support/ws-client';

type Json = Record<string, any>;

/**
 * The YAML parser @nestjs/swagger itself depends on (it serves /api/docs-yaml with it); resolved
 * from there, so this test needs no package of its own.
 */

const ROOT = join(__dirname, '../..');
const DOC = parseYaml(readFileSync(join(ROOT, 'docs/asyncapi.yaml'), 'utf8')) as Json;
const OPENAPI = JSON.parse(readFileSync(join(ROOT, 'openapi.json'), 'utf8')) as Json;

/** The payload schema of every message of an operation, by the `type` it carries. */
function payloadsOf(operation: string): Map<string, Json> {
  const out = new Map<string, Json>();
  for (const ref of DOC.operations[operation].messages as Json[]) {
    let message = resolvePointer(DOC, ref.$ref as string);
    if (message.$ref) message = resolvePointer(DOC, message.$ref as string);
    const payload = resolvePointer(DOC, message.payload.$ref as string);
    out.set(payload.properties.type.const as string, payload);
  }
  return out;
}

const clientFrames = payloadsOf('receiveClientFrames');
const serverFrames = payloadsOf('sendServerFrames');
const sseEvents = payloadsOf('sendReplyEvents');

function expectConforms(kind: Map<string, Json>, body: Json, what: string): void {
  const schema = kind.get(body.type as string);
  if (!schema) throw new Error(`${what} of type ${String(body.type)} is not in docs/asyncapi.yaml`);
  const errors = validateSchema(schema, body, DOC);
  if (errors.length > 0) {
    throw new Error(`${what} ${JSON.stringify(body)} does not match:\n${errors.join('\n')}`);
  }
}

describe('docs/asyncapi.yaml', () => {
  it('is an AsyncAPI 3 document whose channels are the served WebSocket and SSE paths', () => {
    expect(DOC.asyncapi).toBe('3.0.0');
    expect(DOC.channels.chat.address).toBe('/api/v1/ws/chat');
    expect(OPENAPI.paths['/api/v1/conversations/{id}/messages/stream'].post).toBeDefined();
    expect(DOC.channels.replyStream.address).toBe(
      '/api/v1/conversations/{conversation_id}/messages/stream',
    );
  });

  it('names exactly the frame and event types the code defines', () => {
    expect([...clientFrames.keys()].sort()).toEqual([...CLIENT_FRAME_TYPES].sort());
    expect([...serverFrames.keys()].sort()).toEqual([...SERVER_FRAME_TYPES].sort());
    expect([...sseEvents.keys()].sort()).toEqual([...GENERATION_EVENT_TYPES].sort());
  });

  it("lists the contract's error codes, the close codes and the frame cap the gateway uses", () => {
    expect(DOC.components.schemas.ErrorCode.enum).toEqual([...ERROR_CODES]);
    const text = (DOC.channels.chat.description as string).replace(/\s+/g, ' ');
    expect(text).toContain(`${WS_CLOSE_UNAUTHORIZED} when`);
    expect(text).toContain(`${WS_CLOSE_GOING_AWAY} when`);
    expect(text).toContain(`${WS_CLOSE_POLICY} when`);
    for (const key of [
      'WS_RATE_LIMIT_PINGS',
      'WS_RATE_LIMIT_FRAMES',
      'WS_MAX_QUEUED_FRAMES',
      'WS_MAX_REFUSALS',
      'WS_MAX_SOCKETS_PER_USER',
      'RATE_LIMIT_RESUMES',
    ])
      expect(text).toContain(key);
    expect(text).toContain(`1009 for a frame larger than ${WS_MAX_FRAME_BYTES / 1024} KiB`);
  });

  it("gives chat_message the same rules as the REST send body (openapi.json's SendMessageDto)", () => {
    const rest = OPENAPI.components.schemas.SendMessageDto as Json;
    const ws = clientFrames.get('chat_message')!;
    const rules = ['type', 'minLength', 'maxLength', 'minimum', 'maximum', 'enum'];
    // A nullable field is a oneOf with null in AsyncAPI (JSON Schema): its other branch's rules.
    const nonNull = (s: Json): Json => {
      const branch = (s.oneOf as Json[] | undefined)?.find((b) => b.type !== 'null');
      if (!branch) return s;
      return branch.$ref ? resolvePointer(DOC, branch.$ref as string) : branch;
    };
    for (const [field, schema] of Object.entries(rest.properties as Record<string, Json>)) {
      const pick = (s: Json) =>
        Object.fromEntries(rules.filter((r) => r in s).map((r) => [r, s[r]]));
      expect({ field, rules: pick(nonNull(ws.properties[field] as Json)) }).toEqual({
        field,
        rules: pick(schema),
      });
    }
    expect(ws.required).toEqual(expect.arrayContaining(rest.required as string[]));
  });

  describe('matches what the server really sends', () => {
    let fake: FakeOpenAi;
    let t: TestApp;
    let user: RegisteredUser;

    beforeAll(async () => {
      fake = await startFakeOpenAi();
      t = await bootApp({
        OPENAI_API_KEY: 'sk-asyncapi',
        OPENAI_BASE_URL: fake.baseURL,
        LLM_PROVIDER: 'openai',
        LLM_MAX_RETRIES: '0',
        MODELS_FILE: undefined,
        MODELS_JSON: undefined,
        DEFAULT_MODEL: undefined,
        SSE_HEARTBEAT_MS: '100',
      });
      user = await registerUser(t);
    });
    afterEach(() => fake.reset());
    afterAll(async () => {
      await closeAllWs();
      await t?.close();
      await fake?.close();
    });

    it('over WebSocket: every server frame type, each conforming to its schema', async () => {
      // Titled: its conversation_updated is the rename's below, not an automatic title's.
      const conversation = await aConversation(t, user, { title: 'Frames' });
      const ws = await connectWs(chatWsUrl(t.url, `?token=${user.accessToken}`));
      const sent: Json[] = [];
      const send = (frame: Json) => {
        expectConforms(clientFrames, frame, 'client frame');
        sent.push(frame);
        ws.send(frame);
      };

      send({ type: 'ping', request_id: 'p-1' });
      await ws.waitForType('pong');

      fake.script({ text: 'Three little words.' });
      send({
        type: 'chat_message',
        conversation_id: conversation.id,
        content: 'Hello',
        model: 'gpt-3.5-turbo',
        temperature: 0.7,
        request_id: 'r-1',
      });
      const end = await ws.waitForType('message_end');
      const messageId = end.message_id as string;

      send({ type: 'resume', message_id: messageId, after: 1, request_id: 'r-2' });
      await ws.waitFor((f) => f.type === 'message_end' && f !== end, { what: 'a replayed end' });

      fake.script({ text: 'Three other words.' });
      send({ type: 'regenerate', message_id: messageId, request_id: 'r-4' });
      const regenerated = await ws.waitFor(
        (f) => f.type === 'message_start' && f.request_id === 'r-4',
      );
      await ws.waitForType('message_end', { messageId: regenerated.message_id as string });

      send({ type: 'stop', message_id: messageId });
      await t
        .api()
        .put(`/api/v1/conversations/${conversation.id}`)
        .set(bearer(user.accessToken))
        .send({ title: 'Renamed' })
        .expect(200);
      await ws.waitForType('conversation_updated');
      const fresh = await t
        .api()
        .post('/api/v1/auth/login')
        .send({ username: user.username, password: user.password });
      send({ type: 'auth', token: fresh.body.data.access_token });
      await ws.waitForType('authenticated');

      // Refusals: a chat_message for a conversation of nobody (404), a frame of no known type.
      send({
        type: 'chat_message',
        conversation_id: '00000000-0000-4000-8000-000000000000',
        content: 'x',
        request_id: 'r-3',
      });
      await ws.waitFor((f) => f.type === 'error' && f.request_id === 'r-3');
      ws.send({ type: 'dance' });
      await ws.waitFor((f) => f.type === 'error' && f.request_id === undefined);
      await ws.roundTrip();

      for (const frame of ws.frames) expectConforms(serverFrames, frame, 'server frame');
      expect(new Set(ws.frames.map((f: WsFrame) => f.type))).toEqual(new Set(SERVER_FRAME_TYPES));
      expect(sent.map((f) => f.type as string).sort()).toEqual(
        expect.arrayContaining([...CLIENT_FRAME_TYPES].sort()),
      );
    });

    it('over SSE: every event type with its id, heartbeats, and resume after Last-Event-ID', async () => {
      const conversation = await aConversation(t, user);
      const url = `${t.url}/api/v1/conversations/${conversation.id}/messages/stream`;
      const headers = bearer(user.accessToken);

      // The reply waits for the conversation's automatic title: the stream carries every
      // event type, title included.
      fake.scriptWhen(isTitleCall, { text: 'Counting' });
      fake.script({
        text: 'one two three four',
        chunkIntervalMs: 150,
        holdUntil: () => titlesSettled(t),
      });
      const stream = await readSse(url, { method: 'POST', headers, body: { content: 'Count' } });
      expect(stream.status).toBe(200);
      fake.script({ text: 'partial words here', errorEventAfterChunks: 1 });
      const failed = await readSse(url, { method: 'POST', headers, body: { content: 'Fail' } });
      expect(failed.status).toBe(200);

      const all = [...stream.frames, ...failed.frames];
      for (const frame of all) {
        expectConforms(sseEvents, frame.data as Json, 'SSE event');
        expect(frame.id).toMatch(/^\d+$/);
      }
      expect(new Set(all.map((f) => (f.data as Json).type))).toEqual(
        new Set(GENERATION_EVENT_TYPES),
      );
      expect(stream.frames.map((f) => Number(f.id))).toEqual(stream.frames.map((_, i) => i + 1));
      expect(stream.comments.some((c) => c.includes('heartbeat'))).toBe(true);

      const messageId = (stream.frames[0].data as Json).message_id as string;
      const resumed = await readSse(
        `${t.url}/api/v1/conversations/${conversation.id}/messages/${messageId}/stream`,
        { headers: { ...headers, 'Last-Event-ID': '2' } },
      );
      expect(resumed.frames.map((f) => f.id)).toEqual(stream.frames.slice(2).map((f) => f.id));
      for (const frame of resumed.frames)
        expectConforms(sseEvents, frame.data as Json, 'SSE event');
    });
  });
});
