import { AppConfig } from '../../config/app-config';
import { validateEnv } from '../../config/env';
import { SessionActivity } from './session-activity';
import type { SessionsRepository } from './sessions.repository';

class FakeSessions implements Pick<SessionsRepository, 'touch'> {
  readonly touched: { sessionId: string; minAgeSeconds: number }[] = [];
  fail = false;

  touch(sessionId: string, minAgeSeconds: number): Promise<void> {
    this.touched.push({ sessionId, minAgeSeconds });
    return this.fail ? Promise.reject(new Error('database away')) : Promise.resolve();
  }
}

describe(SessionActivity.name, () => {
  let now = 1_000_000;
  let sessions: FakeSessions;
  let activity: SessionActivity;

  beforeEach(() => {
    now = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    sessions = new FakeSessions();
    const config = new AppConfig(
      validateEnv({ JWT_SECRET: 'x'.repeat(40), AUTH_SESSION_TOUCH_SECONDS: '300' }),
    );
    activity = new SessionActivity(config, sessions as unknown as SessionsRepository);
  });
  afterEach(() => jest.restoreAllMocks());

  describe('used', () => {
    it('writes a session at most once per interval, each session on its own', () => {
      for (let i = 0; i < 50; i++) activity.used('s-1');
      activity.used('s-2');
      now += 299_000;
      activity.used('s-1');
      expect(sessions.touched).toEqual([
        { sessionId: 's-1', minAgeSeconds: 300 },
        { sessionId: 's-2', minAgeSeconds: 300 },
      ]);
      now += 1_000;
      activity.used('s-1');
      expect(sessions.touched.map((t) => t.sessionId)).toEqual(['s-1', 's-2', 's-1']);
    });

    it('never throws or rejects when the write fails', async () => {
      sessions.fail = true;
      expect(() => activity.used('s-1')).not.toThrow();
      await new Promise((resolve) => setImmediate(resolve));
      expect(sessions.touched).toHaveLength(1);
    });
  });
});
