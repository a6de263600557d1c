import Redis from 'ioredis';
import { GenerationService } from '../../src/modules/generation/generation.service';
import { aConversation, bearer, insertMessage, registerUser } from '../factories';
import { bootApp, TestApp } from '../support/app';
import { openSse } from '../support/sse';

/**
 * A follower of a reply written by another process whose log never gets an end (its writer
 * died and no sweeper could end it): once the stored reply is no longer `streaming`, the
 * follower ends with the stored outcome instead of waiting forever. Runs with Redis (the
 * log is shared) and PostgreSQL (jest.config.js: replica suites).
 */
describe('Following a reply whose writer is gone', () => {
  let t: TestApp;
  let redis: Redis;

  beforeAll(async () => {
    t = await bootApp();
    t.app.get(GenerationService).followCheckMs = 200;
    redis = new Redis(process.env.REDIS_URL!);
  });
  afterAll(async () => {
    redis.disconnect();
    await t.close();
  });

  it('ends with the stored outcome, numbered after the last event, once the row is closed', async () => {
    const user = await registerUser(t);
    const conversation = await aConversation(t, user);
    const question = await insertMessage(t, {
      conversationId: conversation.id,
      userId: user.id,
      role: 'user',
      content: 'Hello?',
    });
    const reply = await insertMessage(t, {
      conversationId: conversation.id,
      userId: user.id,
      role: 'assistant',
      content: '',
      status: 'streaming',
      parentId: question.id,
    });
    // What a process wrote before it died: a start and some text, no end.
    const key = `gen:${reply.id}`;
    const events = [
      {
        type: 'start',
        message_id: reply.id,
        conversation_id: conversation.id,
        user_message_id: question.id,
        seq: 1,
      },
      { type: 'content', content: 'Half a', seq: 2 },
    ];
    for (const event of events) await redis.xadd(key, '*', 'e', JSON.stringify(event));
    await redis.expire(key, 60);

    const follower = await openSse(
      `${t.url}/api/v1/conversations/${conversation.id}/messages/${reply.id}/stream`,
      { headers: bearer(user.accessToken) },
    );
    expect(follower.status).toBe(200);
    await follower.waitFor((f) => f.data?.type === 'content', 5000);
    // Still streaming: the follower keeps waiting through a few checks.
    await new Promise((r) => setTimeout(r, 700));
    expect(follower.ended).toBe(false);

    await t.sql(`UPDATE messages SET status = 'failed', content = 'Half a' WHERE id = $1`, [
      reply.id,
    ]);
    await follower.untilEnd(5000);
    const last = follower.frames.at(-1)!;
    expect(last.data.type).toBe('error');
    expect(last.id).toBe('3');
    await redis.del(key);
  });
});
