import { aConversation, bearer, fetchQuota, registerUser } from '../factories';
import { useFakeApp } from '../support/fake-app';
import { openSse } from '../support/sse';
import { TITLES_OFF } from '../support/titles';

/** Deleting a conversation mid-reply stops the reply: upstream aborted, only what was produced billed. */
describe('Deleting a conversation while its reply streams', () => {
  const ctx = useFakeApp(TITLES_OFF);

  it('aborts the provider call, ends the stream, and bills only what was produced', async () => {
    const { t, fake } = ctx;
    fake.setDefault({
      text: Array.from({ length: 400 }, (_, i) => `w${i}`).join(' '),
      chunkIntervalMs: 20,
    });
    const user = await registerUser(t);
    const conversation = await aConversation(t, user);
    const stream = await openSse(
      `${t.url}/api/v1/conversations/${conversation.id}/messages/stream`,
      { headers: bearer(user.accessToken), body: { content: 'Go on and on.', max_tokens: 2000 } },
    );
    await stream.waitFor((f) => f.data?.type === 'content' && stream.events.length > 10, 5000);
    const reserved = (await fetchQuota(t, user)).usage_today.tokens;

    const deleted = await t
      .api()
      .delete(`/api/v1/conversations/${conversation.id}`)
      .set(bearer(user.accessToken));
    expect(deleted.status).toBe(200);

    expect(await fake.waitForClientClose(fake.chatRequests[0], 5000)).toBe(true);
    await stream.untilEnd(5000);
    const last = stream.events.at(-1);
    expect(last.type).toBe('end');
    expect(last.stopped).toBe(true);

    // Billed what was produced (the prompt and the text streamed), the rest released.
    const quota = await fetchQuota(t, user);
    expect(quota.usage_today.requests).toBe(1);
    expect(quota.usage_today.tokens).toBe(last.usage.total_tokens);
    expect(quota.usage_today.tokens).toBeLessThan(reserved);
    const leases = await t.sql('SELECT * FROM generation_leases');
    expect(leases).toEqual([]);
  });
});
