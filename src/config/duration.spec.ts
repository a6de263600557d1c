import { parseDurationSeconds } from './duration';

describe(parseDurationSeconds.name, () => {
  it.each([
    ['1800', 1800],
    ['1', 1],
    ['45s', 45],
    ['30m', 1800],
    ['1h', 3600],
    ['7d', 604800],
    [' 10m ', 600],
    ['5 m', 300],
  ])('reads %p as %p seconds', (text, seconds) => {
    expect(parseDurationSeconds(text)).toBe(seconds);
  });

  it.each([
    '0',
    '0s',
    '0d',
    'abc',
    '-5',
    '-5m',
    '5x',
    '1.5h',
    '',
    ' ',
    'm',
    '30M',
    '1h30m',
    '99999999999999999999d',
  ])('rejects %p with null', (text) => {
    expect(parseDurationSeconds(text)).toBeNull();
  });
});
