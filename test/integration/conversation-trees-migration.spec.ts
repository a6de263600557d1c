import { DataSource } from 'typeorm';
import { ConversationTrees1796800000000 } from '../../migrations/1796800000000-ConversationTrees';
import { registerUser } from '../factories';
import { bootApp, TestApp } from '../support/app';

/**
 * migrations/1796800000000-ConversationTrees.ts on a database holding pre-tree conversations.
 * Always its own embedded database (never the run's shared PostgreSQL one): reverting and
 * re-applying the migration rewrites every conversation it holds.
 */
describe(ConversationTrees1796800000000.name, () => {
  let t: TestApp;
  let dataSource: DataSource;

  beforeAll(async () => {
    t = await bootApp({ DATABASE_URL: undefined, REDIS_URL: undefined });
    dataSource = t.app.get(DataSource);
  });
  afterAll(async () => {
    await t.close();
  });

  const columnExists = async () =>
    (
      await t.sql(
        `SELECT 1 FROM information_schema.columns
          WHERE table_name = 'conversations' AND column_name = 'current_message_id'`,
      )
    ).length === 1;
  const parentRule = async () =>
    (
      await t.sql<{ rule: string }>(
        `SELECT confdeltype AS rule FROM pg_constraint WHERE conname = 'messages_parent_fk'`,
      )
    )[0].rule;

  /** Reverts migrations down to (and including) ConversationTrees; later ones go first. */
  async function revertTrees(): Promise<void> {
    while (await columnExists()) await dataSource.undoLastMigration();
  }

  /** A conversation as the pre-tree schema stores it. */
  async function oldConversation(userId: string): Promise<{ id: string }> {
    const [row] = await t.sql<{ id: string }>(
      `INSERT INTO conversations (user_id, title, model) VALUES ($1, 'old', 'gpt-3.5-turbo')
       RETURNING id`,
      [userId],
    );
    return row;
  }

  /** Inserts a message as the pre-tree code did (or as it was left by its deletes). */
  async function oldMessage(
    conversationId: string,
    userId: string,
    role: 'user' | 'assistant',
    content: string,
    parentId: string | null,
  ): Promise<string> {
    const [row] = await t.sql<{ id: string }>(
      `WITH m AS (INSERT INTO messages (conversation_id, user_id, parent_id, role, content)
                  VALUES ($1, $2, $3, $4, $5) RETURNING id),
       c AS (UPDATE conversations SET message_count = message_count + 1 WHERE id = $1)
       SELECT id FROM m`,
      [conversationId, userId, parentId, role, content],
    );
    return row.id;
  }

  it('down drops current_message_id; up makes each pre-tree conversation one straight branch ending at its last message', async () => {
    const user = await registerUser(t);
    await revertTrees();
    expect(await columnExists()).toBe(false);
    expect(await parentRule()).toBe('n'); // ON DELETE SET NULL, as before trees

    // As the old send wrote them: a user message's parent the last message, a reply's its
    // user message; then what old deletes and racing sends left behind.
    const conv = await oldConversation(user.id);
    const u1 = await oldMessage(conv.id, user.id, 'user', 'u1', null);
    const a1 = await oldMessage(conv.id, user.id, 'assistant', 'a1', u1);
    // Its parent deleted (SET NULL), and two sends that raced on the same last message.
    const u2 = await oldMessage(conv.id, user.id, 'user', 'u2', null);
    const a2 = await oldMessage(conv.id, user.id, 'assistant', 'a2', u2);
    const u3 = await oldMessage(conv.id, user.id, 'user', 'u3', a2);
    const u4 = await oldMessage(conv.id, user.id, 'user', 'u4', a2);
    const a3 = await oldMessage(conv.id, user.id, 'assistant', 'a3', u3);
    const a4 = await oldMessage(conv.id, user.id, 'assistant', 'a4', u4);
    const empty = await oldConversation(user.id);
    const single = await oldConversation(user.id);
    const only = await oldMessage(single.id, user.id, 'user', 'alone', null);

    await dataSource.runMigrations();
    expect(await columnExists()).toBe(true);
    expect(await parentRule()).toBe('c'); // ON DELETE CASCADE: a delete takes its subtree

    const rows = await t.sql<{ id: string; parent_id: string | null }>(
      'SELECT id, parent_id FROM messages WHERE conversation_id = $1 ORDER BY seq',
      [conv.id],
    );
    const order = [u1, a1, u2, a2, u3, u4, a3, a4];
    expect(rows.map((r) => r.id)).toEqual(order);
    expect(rows.map((r) => r.parent_id)).toEqual([null, ...order.slice(0, -1)]);
    const current = await t.sql<{ id: string; current_message_id: string | null }>(
      'SELECT id, current_message_id FROM conversations WHERE id = ANY($1::uuid[])',
      [[conv.id, empty.id, single.id]],
    );
    expect(Object.fromEntries(current.map((c) => [c.id, c.current_message_id]))).toEqual({
      [conv.id]: a4,
      [empty.id]: null,
      [single.id]: only,
    });

    // The API reads it as the branch, every message counted.
    const detail = await t
      .api()
      .get(`/api/v1/conversations/${conv.id}`)
      .set({ Authorization: `Bearer ${user.accessToken}` });
    const shown = detail.body.data.messages as { content: string }[];
    expect(shown.map((m) => m.content)).toEqual(['u1', 'a1', 'u2', 'a2', 'u3', 'u4', 'a3', 'a4']);
    expect(detail.body.data.message_count).toBe(8);

    // Down again keeps the messages and their (straightened) parents; up is idempotent on them.
    await revertTrees();
    const kept = await t.sql<{ parent_id: string | null }>(
      'SELECT parent_id FROM messages WHERE conversation_id = $1 ORDER BY seq',
      [conv.id],
    );
    expect(kept.map((r) => r.parent_id)).toEqual([null, ...order.slice(0, -1)]);
    await dataSource.runMigrations();
    expect(await columnExists()).toBe(true);
  });
});
