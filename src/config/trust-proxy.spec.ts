import { validateEnv } from './env';
import { parseTrustProxy } from './trust-proxy';

describe(parseTrustProxy.name, () => {
  it.each([
    [undefined, false],
    ['', false],
    ['  ', false],
    ['false', false],
    ['0', false],
    ['1', 1],
    ['2', 2],
    ['loopback', ['loopback']],
    ['Loopback, 10.0.0.0/8 ,192.168.1.7', ['loopback', '10.0.0.0/8', '192.168.1.7']],
    ['uniquelocal,linklocal,::1,fd00::/8', ['uniquelocal', 'linklocal', '::1', 'fd00::/8']],
  ])('reads %p as %p', (raw, expected) => {
    expect(parseTrustProxy(raw)).toEqual(expected);
  });

  it.each([
    'true',
    'TRUE',
    'yes',
    'proxy.local',
    '10.0.0.0/33',
    '10.0.0/8',
    '1.2.3.4/',
    ',,',
    '-1',
  ])('refuses %p', (raw) => {
    expect(parseTrustProxy(raw)).toBeNull();
  });

  it('is validated at boot, naming TRUST_PROXY', () => {
    expect(() => validateEnv({ TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY/);
    expect(validateEnv({ TRUST_PROXY: 'loopback' }).TRUST_PROXY).toBe('loopback');
  });

  it('refuses a lockout cap below the first lockout', () => {
    expect(() =>
      validateEnv({ LOGIN_LOCKOUT_BASE_SECONDS: '60', LOGIN_LOCKOUT_MAX_SECONDS: '30' }),
    ).toThrow(/LOGIN_LOCKOUT_MAX_SECONDS/);
  });
});
