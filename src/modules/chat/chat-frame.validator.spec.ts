import { randomUUID } from 'node:crypto';
import { AppError } from '../../common/errors/app-error';
import { ChatFrameValidator, requestIdOf } from './chat-frame.validator';
import {
  AuthFrameDto,
  ChatMessageFrameDto,
  PingFrameDto,
  ResumeFrameDto,
  StopFrameDto,
} from './dto/chat-frame.dto';
import { CLIENT_FRAME_TYPES } from './ws-events';
import { httpStatusOf } from '../../common/errors/error-codes';

const ID = randomUUID();
const CONVERSATION = randomUUID();

/** What the pipe threw, as the fields a client (or its logs) can see. */
async function refusal(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof AppError)) throw new Error(`expected an AppError, got ${String(error)}`);
  return {
    code: error.code,
    key: error.messageKey,
    status: httpStatusOf(error.code, error.variant),
    field: error.details?.field,
  };
}

describe(ChatFrameValidator.name, () => {
  const frames = new ChatFrameValidator();

  describe('parse', () => {
    it('gives the JSON object of a text or binary frame', () => {
      expect(frames.parse('{"type":"ping"}')).toEqual({ type: 'ping' });
      expect(frames.parse(Buffer.from('{"type":"stop","x":1}'))).toEqual({ type: 'stop', x: 1 });
    });

    it.each([
      ['not JSON', 'hello {'],
      ['an array', '[{"type":"ping"}]'],
      ['null', 'null'],
      ['a number', '42'],
      ['a string', '"ping"'],
      ['bytes that are not UTF-8 JSON', Buffer.from([0xff, 0xfe, 0x00, 0x7b])],
    ])('refuses %s as a malformed frame (400, no field)', (_name, raw) => {
      const thrown = (() => {
        try {
          frames.parse(raw);
        } catch (error) {
          return error;
        }
      })();
      expect(thrown).toMatchObject({
        code: 'VALIDATION_ERROR',
        messageKey: 'error.ws_malformed_frame',
        variant: 'malformed',
        details: undefined,
      });
    });
  });

  describe('validate', () => {
    it.each([
      ['ping', { type: 'ping' }, PingFrameDto],
      ['stop', { type: 'stop', message_id: ID }, StopFrameDto],
      ['resume', { type: 'resume', message_id: ID, after: 3 }, ResumeFrameDto],
      ['auth', { type: 'auth', token: 'a.b.c' }, AuthFrameDto],
      [
        'chat_message',
        { type: 'chat_message', conversation_id: CONVERSATION, content: 'Hi', request_id: 'r' },
        ChatMessageFrameDto,
      ],
    ])('gives a %s frame as an instance of its DTO', async (_type, body, dto) => {
      const frame = await frames.validate(body);
      expect(frame).toBeInstanceOf(dto);
      expect(frame).toEqual(Object.assign(new dto(), body));
    });

    it('knows every client frame type', async () => {
      for (const type of CLIENT_FRAME_TYPES) {
        const outcome = await frames.validate({ type }).then(
          (frame) => frame.type,
          (error: AppError) => error.messageKey,
        );
        expect({ type, outcome }).not.toEqual({ type, outcome: 'error.ws_unknown_type' });
      }
    });

    it.each([
      ['an unknown type', { type: 'shout' }],
      ['no type', { content: 'hi' }],
      ['a type that is not a string', { type: ['ping'] }],
      ["a name of Object's prototype", { type: 'constructor' }],
    ])('refuses %s as an unknown type, field `type` (400)', async (_name, body) => {
      expect(await refusal(frames.validate(body))).toEqual({
        code: 'VALIDATION_ERROR',
        key: 'error.ws_unknown_type',
        status: 400,
        field: 'type',
      });
    });

    it.each<[string, Record<string, unknown>, string]>([
      ['stop without message_id', { type: 'stop' }, 'message_id'],
      [
        'stop with a message_id that is no UUID',
        { type: 'stop', message_id: 'nope' },
        'message_id',
      ],
      ['resume with a negative after', { type: 'resume', message_id: ID, after: -1 }, 'after'],
      ['resume with after as text', { type: 'resume', message_id: ID, after: '3' }, 'after'],
      ['resume with after null', { type: 'resume', message_id: ID, after: null }, 'after'],
      ['resume with after 1.5', { type: 'resume', message_id: ID, after: 1.5 }, 'after'],
      ['resume without message_id', { type: 'resume', after: 0 }, 'message_id'],
      ['auth without token', { type: 'auth' }, 'token'],
      ['auth with a token that is no string', { type: 'auth', token: 42 }, 'token'],
      [
        'chat_message with a request_id over 200 characters',
        {
          type: 'chat_message',
          conversation_id: CONVERSATION,
          content: 'x',
          request_id: 'r'.repeat(201),
        },
        'request_id',
      ],
      [
        'chat_message with an empty request_id',
        { type: 'chat_message', conversation_id: CONVERSATION, content: 'x', request_id: '' },
        'request_id',
      ],
      [
        'chat_message with request_id null',
        { type: 'chat_message', conversation_id: CONVERSATION, content: 'x', request_id: null },
        'request_id',
      ],
      [
        'chat_message with a request_id holding U+0000',
        {
          type: 'chat_message',
          conversation_id: CONVERSATION,
          content: 'x',
          request_id: 'a\u0000b',
        },
        'request_id',
      ],
      [
        'chat_message with a conversation_id that is no UUID',
        { type: 'chat_message', conversation_id: 'not-a-uuid', content: 'x' },
        'conversation_id',
      ],
      [
        'chat_message without conversation_id',
        { type: 'chat_message', content: 'x' },
        'conversation_id',
      ],
      [
        'chat_message without content',
        { type: 'chat_message', conversation_id: CONVERSATION },
        'content',
      ],
      [
        'chat_message with role "system"',
        { type: 'chat_message', conversation_id: CONVERSATION, content: 'x', role: 'system' },
        'role',
      ],
      [
        'chat_message with temperature 3',
        { type: 'chat_message', conversation_id: CONVERSATION, content: 'x', temperature: 3 },
        'temperature',
      ],
      [
        'chat_message with an unknown field',
        { type: 'chat_message', conversation_id: CONVERSATION, content: 'x', mood: 'happy' },
        'mood',
      ],
    ])(
      'refuses %s like an HTTP body: VALIDATION_ERROR 422 naming the field',
      async (_name, body, field) => {
        expect(await refusal(frames.validate(body))).toEqual({
          code: 'VALIDATION_ERROR',
          key: 'error.validation',
          status: 422,
          field,
        });
      },
    );

    it('reports fields in the order the hand-written checks did: request_id, conversation_id, the body; after, message_id', async () => {
      const chat = { type: 'chat_message', conversation_id: 'x', request_id: '', temperature: 9 };
      await expect(frames.validate(chat)).rejects.toMatchObject({
        details: {
          field: 'request_id',
          fields: [
            { field: 'request_id' },
            { field: 'conversation_id' },
            { field: 'content' },
            { field: 'temperature' },
          ],
        },
      });
      const resume = { type: 'resume', message_id: 'x', after: -1 };
      await expect(frames.validate(resume)).rejects.toMatchObject({
        details: { field: 'after', fields: [{ field: 'after' }, { field: 'message_id' }] },
      });
    });

    it('ignores the fields a frame other than chat_message does not read', async () => {
      const frame = await frames.validate({
        type: 'stop',
        message_id: ID,
        request_id: 42,
        pad: 'x'.repeat(1000),
        nested: { deep: '\u0000' },
      });
      expect(frame).toEqual(Object.assign(new StopFrameDto(), { type: 'stop', message_id: ID }));
      await expect(frames.validate({ type: 'ping', pad: ['\u0000'] })).resolves.toEqual(
        Object.assign(new PingFrameDto(), { type: 'ping' }),
      );
    });

    it('takes resume without after (replay from the start)', async () => {
      const frame = await frames.validate({ type: 'resume', message_id: ID });
      expect(frame).toMatchObject({ type: 'resume', message_id: ID });
      expect((frame as ResumeFrameDto).after).toBeUndefined();
    });
  });
});

describe(requestIdOf.name, () => {
  it.each([
    { what: 'a string', value: 'req-1', echoed: true },
    { what: '200 characters', value: 'r'.repeat(200), echoed: true },
    { what: '201 characters', value: 'r'.repeat(201), echoed: false },
    { what: 'an empty string', value: '', echoed: false },
    { what: 'a string with U+0000', value: 'a\u0000b', echoed: false },
    { what: 'a number', value: 42, echoed: false },
    { what: 'absent', value: undefined, echoed: false },
  ])('request_id $what: echoed $echoed', ({ value, echoed }) => {
    expect(requestIdOf({ type: 'ping', request_id: value })).toBe(echoed ? value : undefined);
  });
});
