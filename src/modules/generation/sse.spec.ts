import type { GenerationEvent } from './generation-events';
import { resumePoint, sseFrame } from './sse';

const content: GenerationEvent = { type: 'content', content: 'Hi "there"', seq: 2 };
const failed: GenerationEvent = {
  type: 'error',
  error: { code: 'OPENAI_API_ERROR', messageKey: 'error.openai' },
  seq: 3,
};

describe('sseFrame', () => {
  it('writes an event as one frame with its number as the id', () => {
    expect(sseFrame(content, 'en')).toBe(
      'id: 2\ndata: {"type":"content","content":"Hi \\"there\\""}\n\n',
    );
  });

  it('serializes a language-neutral event once and shares the text between readers', () => {
    const stringify = jest.spyOn(JSON, 'stringify');
    const event: GenerationEvent = { ...content, seq: 7 };
    const first = sseFrame(event, 'en');
    const again = sseFrame(event, 'zh');
    expect(again).toBe(first);
    expect(stringify).toHaveBeenCalledTimes(1);
    stringify.mockRestore();
  });

  it('writes an error in the reader’s language, with the code only', () => {
    const en = JSON.parse(sseFrame(failed, 'en').split('data: ')[1]) as Record<string, any>;
    const zh = JSON.parse(sseFrame(failed, 'zh').split('data: ')[1]) as Record<string, any>;
    expect(en.error.code).toBe('OPENAI_API_ERROR');
    expect(zh.error.code).toBe('OPENAI_API_ERROR');
    expect(en.error.message).not.toBe(zh.error.message);
    expect(Object.keys(en.error).sort()).toEqual(['code', 'message']);
  });
});

describe(resumePoint.name, () => {
  it('takes Last-Event-ID over ?after, and 0 without either', () => {
    expect(resumePoint('5', 2)).toBe(5);
    expect(resumePoint(undefined, 2)).toBe(2);
    expect(resumePoint('x', undefined)).toBe(0);
  });
});
