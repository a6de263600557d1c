import {
  chatCompletion,
  ChunkFrames,
  completionMeta,
  modelList,
  openAiFinishReason,
} from './chat-response';

const meta = { id: 'chatcmpl-abc', created: 1_700_000_000, model: 'gpt-4' };

/** The JSON of one `data:` frame. */
function dataOf(frame: string | null): unknown {
  expect(frame).toMatch(/^data: .*\n\n$/s);
  return JSON.parse(frame!.slice('data: '.length));
}

describe(ChunkFrames.name, () => {
  describe('without include_usage', () => {
    const frames = new ChunkFrames(meta, false);

    it('opens with the assistant role and an empty content', () => {
      expect(dataOf(frames.role())).toEqual({
        ...meta,
        object: 'chat.completion.chunk',
        choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
      });
    });

    it('carries text as is, whatever it holds', () => {
      const text = 'quote " backslash \\ newline \n emoji 🙂 </script>';
      expect(dataOf(frames.content(text))).toEqual({
        ...meta,
        object: 'chat.completion.chunk',
        choices: [{ index: 0, delta: { content: text }, finish_reason: null }],
      });
    });

    it('ends the choice with an empty delta and the reason, and sends no usage chunk', () => {
      expect(dataOf(frames.finish('length'))).toMatchObject({
        choices: [{ index: 0, delta: {}, finish_reason: 'length' }],
      });
      expect(frames.usage({ prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 })).toBeNull();
      expect(ChunkFrames.done).toBe('data: [DONE]\n\n');
    });
  });

  describe('with include_usage', () => {
    const frames = new ChunkFrames(meta, true);

    it('puts usage: null on every chunk and the usage on a last chunk with no choices', () => {
      expect(dataOf(frames.content('x'))).toMatchObject({ usage: null });
      expect(dataOf(frames.role())).toMatchObject({ usage: null });
      const usage = { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 };
      expect(dataOf(frames.usage(usage))).toEqual({
        ...meta,
        object: 'chat.completion.chunk',
        choices: [],
        usage,
      });
    });
  });

  it('writes an error after the stream started as one data event of the error object', () => {
    const body = {
      error: { message: 'm', type: 'upstream_error', code: 'upstream_error', param: null },
    };
    expect(dataOf(ChunkFrames.error(body))).toEqual(body);
  });
});

describe('chatCompletion', () => {
  it("is OpenAI's non-streamed answer", () => {
    const usage = { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 };
    expect(chatCompletion(meta, { content: 'hello', finishReason: 'stop', usage })).toEqual({
      ...meta,
      object: 'chat.completion',
      choices: [
        { index: 0, message: { role: 'assistant', content: 'hello' }, finish_reason: 'stop' },
      ],
      usage,
    });
  });
});

describe('completionMeta', () => {
  it('gives each completion its own chatcmpl- id and the time in seconds', () => {
    const a = completionMeta('gpt-4', 1_700_000_000_999);
    const b = completionMeta('gpt-4');
    expect(a.id).toMatch(/^chatcmpl-[A-Za-z0-9_-]{20}$/);
    expect(a.id).not.toBe(b.id);
    expect(a.created).toBe(1_700_000_000);
  });
});

describe('openAiFinishReason', () => {
  it('keeps stop, length and content_filter; reads aborted and other as stop', () => {
    expect(
      ['stop', 'length', 'content_filter', 'aborted', 'other'].map((r) =>
        openAiFinishReason(r as never),
      ),
    ).toEqual(['stop', 'length', 'content_filter', 'stop', 'stop']);
  });
});

describe('modelList', () => {
  it("lists models in OpenAI's shape", () => {
    const models = [{ id: 'a' }, { id: 'b' }] as never;
    expect(modelList(models, 42)).toEqual({
      object: 'list',
      data: [
        { id: 'a', object: 'model', created: 42, owned_by: 'system' },
        { id: 'b', object: 'model', created: 42, owned_by: 'system' },
      ],
    });
  });
});
