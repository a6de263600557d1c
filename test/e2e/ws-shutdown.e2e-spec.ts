import WebSocket from 'ws';
import { bearer, registerUser } from '../factories';
import { bootApp } from '../support/app';

describe('Shutting down with sockets open', () => {
  it('stops running replies, stores them, sends their end, then closes sockets with 1001', async () => {
    const t = await bootApp({
      OFFLINE_TOKEN_DELAY_MS: '50',
      OPENAI_API_KEY: undefined,
      LLM_PROVIDER: 'offline',
    });
    const user = await registerUser(t);
    const conversation = await t
      .api()
      .post('/api/v1/conversations')
      .set(bearer(user.accessToken))
      .send({});
    const ws = new WebSocket(
      `${t.url.replace('http', 'ws')}/api/v1/ws/chat?token=${user.accessToken}`,
    );
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const frames: { type: string; stopped?: boolean; message_id?: string }[] = [];
    ws.on('message', (data: Buffer) =>
      frames.push(JSON.parse(data.toString()) as (typeof frames)[number]),
    );
    const closed = new Promise<number>((resolve) =>
      ws.once('close', (code: number) => resolve(code)),
    );
    ws.send(
      JSON.stringify({
        type: 'chat_message',
        conversation_id: conversation.body.data.id,
        content: 'Talk slowly',
      }),
    );
    while (!frames.some((f) => f.type === 'message_content'))
      await new Promise((r) => setTimeout(r, 20));

    const messageId = frames[0].message_id!;
    await t.close();
    expect(await closed).toBe(1001);
    const end = frames.find((f) => f.type === 'message_end');
    // The end event is written only after the partial reply is stored as stopped and billed.
    expect(end).toMatchObject({ stopped: true, message_id: messageId });
    expect(frames.at(-1)?.type).toBe('message_end');
  });
});
