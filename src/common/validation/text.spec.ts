import { validate } from 'class-validator';
import { codePointLength, CodePointLength, MaxCodePoints } from './text';

class Sample {
  @CodePointLength(2, 4)
  bounded!: string;

  @MaxCodePoints(3)
  capped!: string;
}

async function constraintsOf(values: Partial<Sample>): Promise<Record<string, string[]>> {
  const sample = Object.assign(new Sample(), { bounded: 'ab', capped: '', ...values });
  const errors = await validate(sample);
  return Object.fromEntries(errors.map((e) => [e.property, Object.keys(e.constraints ?? {})]));
}

describe(codePointLength.name, () => {
  it.each([
    ['', 0],
    ['abc', 3],
    ['中文', 2],
    ['😀', 1], // one astral code point, two UTF-16 units
    ['❤️', 2], // U+2764 U+FE0F: what class-validator's Length counts as 1
    ['👨‍👩‍👧', 5], // one grapheme, five code points
    ['🇫🇷', 2], // a flag: two regional indicators
    ['e\u0301', 2], // e + combining acute
  ])('counts %p as %i code points, as PostgreSQL char_length does', (text, n) => {
    expect(codePointLength(text)).toBe(n);
  });
});

describe(CodePointLength.name, () => {
  it('accepts the bounds counted in code points, astral characters included', async () => {
    expect(await constraintsOf({ bounded: '😀😀' })).toEqual({});
    expect(await constraintsOf({ bounded: '😀😀😀😀' })).toEqual({});
    expect(await constraintsOf({ bounded: '❤️❤️' })).toEqual({});
  });

  it('refuses one code point past either bound, under the isLength constraint', async () => {
    expect(await constraintsOf({ bounded: '😀' })).toEqual({ bounded: ['isLength'] });
    expect(await constraintsOf({ bounded: '😀😀😀😀😀' })).toEqual({ bounded: ['isLength'] });
    // Five code points that class-validator's Length counted as three.
    expect(await constraintsOf({ bounded: '❤️❤️x' })).toEqual({ bounded: ['isLength'] });
  });

  it('refuses what is not a string', async () => {
    expect(await constraintsOf({ bounded: 42 as unknown as string })).toEqual({
      bounded: ['isLength'],
    });
  });
});

describe(MaxCodePoints.name, () => {
  it('takes an empty text and up to the cap', async () => {
    expect(await constraintsOf({ capped: '' })).toEqual({});
    expect(await constraintsOf({ capped: '😀👍🏽' })).toEqual({});
    expect(await constraintsOf({ capped: '😀😀😀' })).toEqual({});
  });

  it('refuses one past the cap', async () => {
    expect(await constraintsOf({ capped: '😀😀😀😀' })).toEqual({ capped: ['maxLength'] });
    expect(await constraintsOf({ capped: '❤️❤️' })).toEqual({ capped: ['maxLength'] });
  });
});
