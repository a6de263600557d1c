import { pickLang, t } from './messages';

const CJK = /[\u4e00-\u9fff]/;

describe(pickLang.name, () => {
  it.each<[string | undefined, 'en' | 'zh']>([
    ['zh-CN', 'zh'],
    ['zh', 'zh'],
    ['ZH-TW', 'zh'],
    ['zh-CN,zh;q=0.9', 'zh'],
    ['zh;q=0.9,en;q=0.8', 'zh'],
    ['en;q=0.5, zh-Hans', 'zh'],
    ['en-US,zh;q=0.5', 'en'],
    ['en-US', 'en'],
    ['en', 'en'],
    ['fr-FR,zh;q=0.4', 'zh'],
    ['fr-FR,de;q=0.8', 'en'],
    ['zh;q=0,en;q=0.1', 'en'],
    ['zh;q=abc', 'en'],
    ['*', 'en'],
    ['', 'en'],
    [undefined, 'en'],
    ['%%%;;;,,,q=', 'en'],
    ['garbage', 'en'],
  ])('picks %p as %p', (header, lang) => {
    expect(pickLang(header)).toBe(lang);
  });
});

describe(t.name, () => {
  it('answers the same key in English and in Chinese', () => {
    const en = t('error.validation', 'en');
    const zh = t('error.validation', 'zh');
    expect(en).not.toBe(zh);
    expect(en).not.toMatch(CJK);
    expect(zh).toMatch(CJK);
  });

  it('has a Chinese text for every error message a client can get', () => {
    const keys = [
      'error.validation',
      'error.bad_request',
      'error.malformed_json',
      'error.payload_too_large',
      'error.authentication',
      'error.invalid_token',
      'error.invalid_credentials',
      'error.not_found',
      'error.route_not_found',
      'error.database',
      'error.internal',
    ] as const;
    for (const key of keys) {
      expect(t(key, 'en').length).toBeGreaterThan(0);
      expect(t(key, 'zh')).toMatch(CJK);
    }
  });
});
