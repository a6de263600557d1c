import { AppError } from '../../common/errors/app-error';
import { httpStatusOf } from '../../common/errors/error-codes';
import { parseChatCompletionRequest } from './chat-request';

const hi = [{ role: 'user', content: 'hi' }];

/** The status, field and OpenAI code a body is refused with. */
function refusal(body: unknown): { status: number; field: unknown; openaiCode: unknown } {
  try {
    parseChatCompletionRequest(body);
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return {
      status: httpStatusOf(error.code, error.variant),
      field: error.details?.field,
      openaiCode: error.details?.openai_code,
    };
  }
  throw new Error('expected a refusal');
}

describe('parseChatCompletionRequest', () => {
  it('maps every supported field and ignores the unknown ones', () => {
    const request = parseChatCompletionRequest({
      model: 'gpt-4',
      messages: [
        { role: 'developer', content: 'rules' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'a' },
            { type: 'text', text: 'b' },
          ],
        },
        { role: 'assistant', content: null },
      ],
      temperature: 0,
      top_p: 1,
      max_tokens: 10,
      max_completion_tokens: 20,
      stop: 'END',
      stream: true,
      stream_options: { include_usage: true },
      user: 'u',
      n: 1,
      tools: [],
      tool_choice: 'none',
      seed: 3,
      response_format: { type: 'text' },
    });
    expect(request).toEqual({
      model: 'gpt-4',
      messages: [
        { role: 'system', content: 'rules' },
        { role: 'user', content: 'a\nb' },
        { role: 'assistant', content: '' },
      ],
      temperature: 0,
      topP: 1,
      maxTokens: 20,
      stop: ['END'],
      stream: true,
      includeUsage: true,
      hasImages: false,
    });
  });

  it('keeps the parts of a user message with an image, and says it has images', () => {
    const request = parseChatCompletionRequest({
      model: 'gpt-4-turbo',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what?' },
            { type: 'image_url', image_url: { url: 'https://example.com/a.png', detail: 'low' } },
          ],
        },
      ],
    });
    expect(request.hasImages).toBe(true);
    expect(request.messages[0].content).toEqual([
      { type: 'text', text: 'what?' },
      { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
    ]);
    expect(request).toMatchObject({ stream: false, includeUsage: false });
    expect(request).not.toHaveProperty('maxTokens');
  });

  it('treats null as absent, as OpenAI does', () => {
    const request = parseChatCompletionRequest({
      model: 'm',
      messages: hi,
      temperature: null,
      stop: null,
      stream: null,
      stream_options: null,
      n: null,
      tools: null,
    });
    expect(request).toEqual({
      model: 'm',
      messages: hi,
      stream: false,
      includeUsage: false,
      hasImages: false,
    });
  });

  it.each([
    ['n > 1', { n: 2 }, 'n'],
    ['tools', { tools: [{ type: 'function', function: { name: 'f' } }] }, 'tools'],
    ['functions', { functions: [{ name: 'f' }] }, 'functions'],
    ['tool_choice', { tool_choice: 'required' }, 'tool_choice'],
    ['audio output', { audio: { voice: 'alloy' } }, 'audio'],
    ['audio modality', { modalities: ['text', 'audio'] }, 'modalities'],
    ['a tool message', { messages: [{ role: 'tool', content: 'x' }] }, 'messages[0].role'],
    [
      'assistant tool calls',
      { messages: [{ role: 'assistant', content: null, tool_calls: [] }] },
      'messages[0].tool_calls',
    ],
    [
      'an audio part',
      { messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: {} }] }] },
      'messages[0].content[0]',
    ],
  ])('refuses %s with 400 unsupported_parameter', (_, extra, field) => {
    expect(refusal({ model: 'm', messages: hi, ...extra })).toEqual({
      status: 400,
      field,
      openaiCode: 'unsupported_parameter',
    });
  });

  it.each([
    ['a body that is not an object', [1, 2], 'request'],
    ['no model', { messages: hi }, 'model'],
    ['no messages', { model: 'm', messages: [] }, 'messages'],
    [
      'an unknown role',
      { model: 'm', messages: [{ role: 'boss', content: 'x' }] },
      'messages[0].role',
    ],
    [
      'content of a wrong type',
      { model: 'm', messages: [{ role: 'user', content: 5 }] },
      'messages[0].content',
    ],
    [
      'an image outside a user message',
      {
        model: 'm',
        messages: [{ role: 'system', content: [{ type: 'image_url', image_url: { url: 'x' } }] }],
      },
      'messages[0].content[0]',
    ],
    [
      'a temperature that is not a number',
      { model: 'm', messages: hi, temperature: 'hot' },
      'temperature',
    ],
    ['a fractional max_tokens', { model: 'm', messages: hi, max_tokens: 1.5 }, 'max_tokens'],
    ['stop of numbers', { model: 'm', messages: hi, stop: [1] }, 'stop'],
    ['stream as a string', { model: 'm', messages: hi, stream: 'yes' }, 'stream'],
  ])('refuses %s with 400 naming the field', (_, body, field) => {
    expect(refusal(body)).toMatchObject({ status: 400, field });
  });

  it.each([
    ['temperature', { temperature: 2.5 }],
    ['top_p', { top_p: -0.1 }],
    ['max_tokens', { max_tokens: 0 }],
    ['max_completion_tokens', { max_completion_tokens: -3 }],
    ['stop', { stop: ['a', 'b', 'c', 'd', 'e'] }],
  ])('refuses %s out of range with 422', (field, extra) => {
    expect(refusal({ model: 'm', messages: hi, ...extra })).toMatchObject({ status: 422, field });
  });
});
