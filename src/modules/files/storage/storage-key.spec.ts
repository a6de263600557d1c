import { InvalidStorageKeyError } from './storage-errors';
import {
  assertDeletableKey,
  assertObjectKey,
  isObjectKey,
  isTempKey,
  storageKey,
} from './storage-key';

const USER = '0b6c58f5-7b8e-4a57-9c39-7f2a3c1d9e10';
const FILE = 'f47ac10b-58cc-4372-a567-0e02b2c3d479';

describe(storageKey.name, () => {
  it('joins two UUIDs as <user>/<file>, lower-cased', () => {
    expect(storageKey(USER, FILE)).toBe(`${USER}/${FILE}`);
    expect(storageKey(USER.toUpperCase(), FILE.toUpperCase())).toBe(`${USER}/${FILE}`);
  });

  it.each([
    ['a parent directory', '..'],
    ['a relative path', '../x'],
    ['an absolute path', '/etc/passwd'],
    ['a filename', 'report.pdf'],
    ['an empty string', ''],
    ['a UUID with a path after it', `${FILE}/..`],
    ['a UUID with a slash before it', `/${FILE}`],
    ['a UUID with a line break after it', `${FILE}\n`],
    ['a UUID without dashes', FILE.replace(/-/g, '')],
    ['a UUID with a NUL byte', `${FILE}\0`],
  ])('refuses %s as either id', (_label, bad) => {
    expect(() => storageKey(USER, bad)).toThrow(InvalidStorageKeyError);
    expect(() => storageKey(bad, FILE)).toThrow(InvalidStorageKeyError);
  });

  it('refuses what is not a string at all', () => {
    expect(() => storageKey(USER, undefined as unknown as string)).toThrow(InvalidStorageKeyError);
  });
});

describe(assertObjectKey.name, () => {
  it("accepts storageKey's keys and nothing else", () => {
    expect(() => assertObjectKey(storageKey(USER, FILE))).not.toThrow();
    for (const key of [
      `${USER}/../${FILE}`,
      `../${USER}/${FILE}`,
      `/${USER}/${FILE}`,
      `${USER}\\${FILE}`,
      `${USER.toUpperCase()}/${FILE}`,
      `${USER}/${FILE}.0123456789abcdef.tmp`,
      `${USER}/${FILE}/x`,
    ]) {
      expect(() => assertObjectKey(key)).toThrow(InvalidStorageKeyError);
    }
  });
});

describe(assertDeletableKey.name, () => {
  it("also accepts a temp file's key, which get and open refuse", () => {
    const temp = `${USER}/${FILE}.0123456789abcdef.tmp`;
    expect(isTempKey(temp)).toBe(true);
    expect(isObjectKey(temp)).toBe(false);
    expect(() => assertDeletableKey(temp)).not.toThrow();
    expect(() => assertDeletableKey(`${USER}/${FILE}.tmp`)).toThrow(InvalidStorageKeyError);
    expect(() => assertDeletableKey(`${USER}/../${FILE}.0123456789abcdef.tmp`)).toThrow(
      InvalidStorageKeyError,
    );
  });
});
