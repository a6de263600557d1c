import { openSse, SseStream } from '../support/sse';
import { FakeOpenAi, fakeOpenAiEnv, startFakeOpenAi } from '../support/fake-openai';
import { startService, ServiceProcess } from '../support/service-process';
import {
  ApiUser,
  conversationOver,
  messagesOver,
  registerOver,
  sleep,
} from '../support/fault-helpers-h3';
import { TITLES_OFF } from '../support/titles';

/**
 * A process killed (SIGKILL) mid-reply: its reply must not stay `streaming`. Another replica
 * (PostgreSQL + Redis), or the same service restarted on its data (embedded PGlite), closes it
 * within the lease time: the text streamed so far stored, status `failed`, the quota billed
 * for what was produced and the rest released, followers ended, stop and delete working.
 */

const LEASE_MS = 1500;
const shared = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);
const WORDS = Array.from({ length: 400 }, (_, i) => `word${i}`).join(' ');

async function call(
  url: string,
  user: ApiUser,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${user.token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

async function quotaOf(url: string, user: ApiUser) {
  const res = await call(url, user, 'GET', '/users/me/quota');
  return res.body.data.usage_today as { requests: number; tokens: number };
}

describe('A process killed mid-reply (generation leases)', () => {
  let fake: FakeOpenAi;
  const services: ServiceProcess[] = [];

  beforeAll(async () => {
    fake = await startFakeOpenAi();
    fake.setDefault({ text: WORDS, chunkIntervalMs: 25 });
  });

  afterAll(async () => {
    for (const s of services) await s.dispose();
    await fake.close();
  });

  const start = async (dataDir?: string) => {
    const service = await startService(
      { ...fakeOpenAiEnv(fake), ...TITLES_OFF, GENERATION_LEASE_MS: String(LEASE_MS) },
      { dataDir },
    );
    services.push(service);
    return service;
  };

  it('closes the stranded reply within the lease time: text kept, billed for what was produced, followers ended', async () => {
    const a = await start();
    const user = await registerOver(a.url);
    const conversationId = await conversationOver(a.url, user);
    const before = await quotaOf(a.url, user);

    const sender = await openSse(
      `${a.url}/api/v1/conversations/${conversationId}/messages/stream`,
      {
        headers: { authorization: `Bearer ${user.token}` },
        body: { content: 'Count for me.', max_tokens: 1000 },
      },
    );
    expect(sender.status).toBe(200);
    // Long enough for a few lease renewals (each checkpoints the text when the log is not shared).
    await sender.waitFor((f) => f.data?.type === 'content' && sender.events.length > 60, 10_000);
    const startEvent = sender.events.find((e) => e.type === 'start');
    const messageId = startEvent.message_id as string;

    // The survivor: another replica on the shared services, or the same data after a restart.
    const b = shared ? await start() : undefined;
    let follower: SseStream | undefined;
    if (b) {
      follower = await openSse(
        `${b.url}/api/v1/conversations/${conversationId}/messages/${messageId}/stream`,
        { headers: { authorization: `Bearer ${user.token}` } },
      );
      expect(follower.status).toBe(200);
      await follower.waitFor((f) => f.data?.type === 'content', 5000);
    }
    const midway = await quotaOf(b?.url ?? a.url, user);
    const received = sender.events
      .filter((e) => e.type === 'content')
      .map((e) => e.content as string)
      .join('');

    a.child.kill('SIGKILL');
    await a.exited;
    const killedAt = Date.now();
    const survivor = b ?? (await start(a.dataDir));

    // Closed by a sweeper within about the lease time (plus a sweep interval).
    let reply: { status: string; content: string } | undefined;
    while (Date.now() - killedAt < 10 * LEASE_MS + 20_000) {
      const messages = await messagesOver(survivor.url, user, conversationId);
      reply = messages.find((m) => m.id === messageId);
      if (reply && reply.status !== 'streaming') break;
      await sleep(100);
    }
    const closedAfter = Date.now() - killedAt;
    expect(reply?.status).toBe('failed');
    // The text the dead process streamed: from the shared log (Redis), or its checkpoint
    // (embedded: up to one renewal behind).
    expect(WORDS.startsWith(reply!.content)).toBe(true);
    expect(reply!.content.length).toBeGreaterThan(0);
    if (shared) expect(reply!.content.length).toBeGreaterThanOrEqual(received.length - 16);

    const after = await quotaOf(survivor.url, user);
    const reservedTokens = midway.tokens - before.tokens;
    const billedTokens = after.tokens - before.tokens;
    // The reservation was given back down to what was produced.
    expect(billedTokens).toBeLessThan(reservedTokens);
    expect(after.requests - before.requests).toBe(reply!.content.length > 0 ? 1 : 0);

    // A follower of the reply (on the survivor) ends with an error; a new resume ends at once.
    if (follower) {
      await follower.untilEnd(5000);
      expect(follower.events.at(-1)?.type).toBe('error');
    }
    const resume = await openSse(
      `${survivor.url}/api/v1/conversations/${conversationId}/messages/${messageId}/stream`,
      { headers: { authorization: `Bearer ${user.token}` } },
    );
    await resume.untilEnd(5000);
    expect(resume.events.at(-1)?.type).toBe('error');

    // Stop answers the closed reply; delete works on it.
    const stop = await call(survivor.url, user, 'POST', `/messages/${messageId}/stop`);
    expect(stop.status).toBe(200);
    expect(stop.body.data.status).toBe('failed');
    const removed = await call(survivor.url, user, 'DELETE', `/messages/${messageId}`);
    expect([200, 204]).toContain(removed.status);

    console.log(
      `[orphans] ${shared ? 'PostgreSQL + Redis, second replica' : 'embedded PGlite, restarted'}: ` +
        `reply closed ${closedAfter} ms after SIGKILL (GENERATION_LEASE_MS=${LEASE_MS}); ` +
        `${received.length} chars seen by the client, ${reply!.content.length} kept; ` +
        `tokens reserved ${reservedTokens}, billed ${billedTokens}`,
    );
  });

  it('a stop of a stranded reply closes it at once once its owner lease has expired', async () => {
    const a = await start();
    const user = await registerOver(a.url);
    const conversationId = await conversationOver(a.url, user);
    const sender = await openSse(
      `${a.url}/api/v1/conversations/${conversationId}/messages/stream`,
      {
        headers: { authorization: `Bearer ${user.token}` },
        body: { content: 'Count again.' },
      },
    );
    await sender.waitFor((f) => f.data?.type === 'content', 10_000);
    const messageId = sender.events.find((e) => e.type === 'start').message_id as string;
    const b = shared ? await start() : undefined;
    a.child.kill('SIGKILL');
    await a.exited;
    const survivor = b ?? (await start(a.dataDir));
    // Past the owner's lease, but (likely) before any sweep reached it.
    await sleep(LEASE_MS + 100);
    const asked = Date.now();
    const stop = await call(survivor.url, user, 'POST', `/messages/${messageId}/stop`);
    const took = Date.now() - asked;
    expect(stop.status).toBe(200);
    expect(stop.body.data.status).toBe('failed');
    console.log(`[orphans] stop of a stranded reply answered in ${took} ms (status failed)`);
  });
});
