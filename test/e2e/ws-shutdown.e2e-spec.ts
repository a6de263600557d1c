import { rmSync } from 'node:fs';
import { aConversation, registerUser } from '../factories';
import { bootApp, TestApp } from '../support/app';
import { chatWsUrl, connectWs, WsClient } from '../support/ws-client';

/** Starts a slow offline reply over a socket and waits for its first words. */
async function slowReply(t: TestApp): Promise<{ ws: WsClient; messageId: string }> {
  const user = await registerUser(t);
  const conversation = await aConversation(t, user);
  const ws = await connectWs(chatWsUrl(t.url, `?token=${user.accessToken}`));
  ws.send({ type: 'chat_message', conversation_id: conversation.id, content: 'Talk slowly' });
  const start = await ws.waitForType('message_start');
  await ws.waitForType('message_content', { messageId: start.message_id as string });
  return { ws, messageId: start.message_id as string };
}

describe('Shutting down with sockets open', () => {
  it('with no grace period, cuts off a running reply: stored as failed, an error frame, then 1001', async () => {
    const t = await bootApp({
      OFFLINE_TOKEN_DELAY_MS: '50',
      OPENAI_API_KEY: undefined,
      LLM_PROVIDER: 'offline',
      SHUTDOWN_GRACE_MS: '0',
    });
    const { ws, messageId } = await slowReply(t);
    const closed = ws.closed;
    // Reopened below on the same data: the process's own connection is gone by then.
    const { dataDir } = t;
    const reopen = () => bootApp({}, { dataDir });
    await t.app.close();

    expect((await closed).code).toBe(1001);
    const mine = ws.framesOf(messageId);
    expect(mine.at(-1)).toMatchObject({ type: 'error', error: { code: 'SERVICE_UNAVAILABLE' } });
    const received = mine
      .filter((f) => f.type === 'message_content')
      .map((f) => f.content as string)
      .join('');
    expect(received.length).toBeGreaterThan(0);
    // The error frame is written only after the partial reply is stored.
    const again = await reopen();
    try {
      const [row] = await again.sql<{ status: string; content: string }>(
        'SELECT status, content FROM messages WHERE id = $1',
        [messageId],
      );
      expect(row).toEqual({ status: 'failed', content: received });
    } finally {
      await again.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('within the grace period, lets a running reply finish before closing with 1001', async () => {
    const t = await bootApp({
      OFFLINE_TOKEN_DELAY_MS: '20',
      OPENAI_API_KEY: undefined,
      LLM_PROVIDER: 'offline',
      SHUTDOWN_GRACE_MS: '20000',
    });
    const { ws, messageId } = await slowReply(t);
    const closed = ws.closed;
    await t.close();

    expect((await closed).code).toBe(1001);
    const end = ws.framesOf(messageId).at(-1);
    expect(end).toMatchObject({ type: 'message_end', stopped: false });
  });
});
