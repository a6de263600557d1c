import { aConversation, bearer, fetchQuota, registerUser } from '../factories';
import { useFakeApp } from '../support/fake-app';
import { readSse } from '../support/sse';
import { TITLES_OFF } from '../support/titles';
import { countTextTokens } from '../../src/modules/llm/tokenizer';

/**
 * A provider that ignores max_tokens (streams on) or reports a wrong `usage`: the reply is
 * cut shortly past what was reserved, and the quota is never billed past the reservation —
 * so never past the window.
 */
const DAILY_TOKENS = 2000;
const LONG = Array.from({ length: 3000 }, (_, i) => `w${i}`).join(' ');

describe('A provider that does not keep to max_tokens', () => {
  const ctx = useFakeApp(
    {
      ...TITLES_OFF,
      QUOTA_NORMAL_DAILY_TOKENS: String(DAILY_TOKENS),
      QUOTA_NORMAL_MONTHLY_TOKENS: String(10 * DAILY_TOKENS),
    },
    { reset: true },
  );

  it('is cut a little past the reserved max_tokens and billed no more than the reservation', async () => {
    // It reports a believable-looking but false usage as well: 5 completion tokens.
    ctx.fake.setDefault({ text: LONG, usage: { prompt_tokens: 10, completion_tokens: 5 } });
    const user = await registerUser(ctx.t);
    const conversation = await aConversation(ctx.t, user);
    const res = await ctx.t
      .api()
      .post(`/api/v1/conversations/${conversation.id}/messages`)
      .set(bearer(user.accessToken))
      .send({ content: 'Say a lot.', max_tokens: 100 });
    expect(res.status).toBe(201);
    const reply = res.body.data.assistant_message;
    const tokens = countTextTokens(reply.content as string);
    // Cut once past the allowance (a quarter past 100), far before the 3,000-word text ends.
    expect(tokens).toBeGreaterThan(125);
    expect(tokens).toBeLessThanOrEqual(125 + 10);
    // Billed at most max_tokens of completion, though the provider said 5.
    expect(res.body.data.usage.completion_tokens).toBe(100);
    const quota = await fetchQuota(ctx.t, user);
    expect(quota.usage_today.tokens).toBe(res.body.data.usage.total_tokens);
    expect(quota.usage_today.tokens).toBeLessThanOrEqual(DAILY_TOKENS);
    // The provider's connection was closed by the cut.
    expect(ctx.fake.chatRequests[0].closedByClient).toBe(true);
    console.log(
      `[overrun] max_tokens 100, the provider streams ${countTextTokens(LONG)} tokens and reports 5: ` +
        `cut at ${tokens} tokens (${(reply.content as string).length} of ${LONG.length} characters), ` +
        `billed ${res.body.data.usage.completion_tokens} completion tokens`,
    );
  });

  it('never bills past the token window, streamed or not, however much is sent', async () => {
    ctx.fake.setDefault({
      text: LONG,
      usage: { prompt_tokens: 50_000, completion_tokens: 50_000 },
    });
    const user = await registerUser(ctx.t);
    // No max_tokens: the reservation is bounded by what the window has left. A fresh
    // conversation each time, so the prompt stays small and the window is what refuses.
    for (let i = 0; i < 3; i++) {
      const conversation = await aConversation(ctx.t, user);
      const stream = await readSse(
        `${ctx.t.url}/api/v1/conversations/${conversation.id}/messages/stream`,
        { headers: bearer(user.accessToken), body: { content: `Again ${i}.` } },
      );
      const last = stream.events.at(-1);
      if (stream.status !== 200) {
        expect(stream.json.error.code).toBe('QUOTA_EXCEEDED');
        continue;
      }
      expect(last.type).toBe('end');
    }
    const quota = await fetchQuota(ctx.t, user);
    expect(quota.usage_today.tokens).toBeLessThanOrEqual(DAILY_TOKENS);
    console.log(
      `[overrun] a provider reporting 50,000 + 50,000 tokens per reply: ${quota.usage_today.requests} replies, ` +
        `${quota.usage_today.tokens} tokens billed of a ${DAILY_TOKENS}-token day`,
    );
  });

  it('leaves a compliant provider alone when it stops exactly at max_tokens', async () => {
    const exact = Array.from({ length: 60 }, (_, i) => `w${i}`).join(' ');
    const user = await registerUser(ctx.t);
    const conversation = await aConversation(ctx.t, user);
    const limit = countTextTokens(exact);
    ctx.fake.setDefault({
      text: exact,
      usage: { prompt_tokens: 12, completion_tokens: limit },
      finishReason: 'length',
    });
    const res = await ctx.t
      .api()
      .post(`/api/v1/conversations/${conversation.id}/messages`)
      .set(bearer(user.accessToken))
      .send({ content: 'Exactly.', max_tokens: limit });
    expect(res.status).toBe(201);
    expect(res.body.data.assistant_message.content).toBe(exact);
    expect(res.body.data.usage.completion_tokens).toBe(limit);
  });
});
