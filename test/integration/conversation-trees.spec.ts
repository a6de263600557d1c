import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { ConversationsRepository } from '../../src/modules/conversations/conversations.repository';
import { SendRepository } from '../../src/modules/generation/send.repository';
import { MessagesRepository } from '../../src/modules/messages/messages.repository';
import { aConversation, insertMessage, registerUser, RegisteredUser } from '../factories';
import { bootApp, TestApp } from '../support/app';

/**
 * The tree's statements on a real database (PostgreSQL when DATABASE_URL is set, else PGlite),
 * through the real repositories, without HTTP.
 */
describe('Conversation tree statements', () => {
  let t: TestApp;
  let messages: MessagesRepository;
  let conversations: ConversationsRepository;
  let sends: SendRepository;
  let user: RegisteredUser;

  beforeAll(async () => {
    t = await bootApp();
    messages = t.app.get(MessagesRepository);
    conversations = t.app.get(ConversationsRepository);
    sends = t.app.get(SendRepository);
    user = await registerUser(t);
  });
  afterAll(async () => {
    await t.close();
  });

  /**
   * A tree, its messages named by content:
   *   r1 ─ a ─┬─ b1 ─ c1
   *           └─ b2 ─┬─ c2
   *                  └─ c3 (streaming)
   *   r2 ─ x
   * inserted in that order (r2 and x last); the current message is the last inserted unless
   * set.
   */
  async function aTree() {
    const conv = await aConversation(t, user);
    const ids: Record<string, string> = {};
    const add = async (
      name: string,
      parent: string | null,
      role: 'user' | 'assistant' = 'user',
      status?: 'streaming',
    ) => {
      const row = await insertMessage(t, {
        conversationId: conv.id,
        userId: user.id,
        role,
        content: name,
        parentId: parent === null ? null : ids[parent],
        status,
      });
      ids[name] = row.id;
    };
    await add('r1', null);
    await add('a', 'r1', 'assistant');
    await add('b1', 'a');
    await add('c1', 'b1', 'assistant');
    await add('b2', 'a');
    await add('c2', 'b2', 'assistant');
    await add('c3', 'b2', 'assistant', 'streaming');
    await add('r2', null);
    await add('x', 'r2', 'assistant');
    const setCurrent = (name: string) =>
      t.sql('UPDATE conversations SET current_message_id = $2 WHERE id = $1', [conv.id, ids[name]]);
    const current = async () => {
      const [row] = await t.sql<{ current_message_id: string | null; message_count: number }>(
        'SELECT current_message_id, message_count FROM conversations WHERE id = $1',
        [conv.id],
      );
      const name = Object.entries(ids).find(([, id]) => id === row.current_message_id)?.[0];
      return { current: name ?? null, count: row.message_count };
    };
    return { conv, ids, setCurrent, current };
  }

  const named = (list: { content: string; siblingIndex?: number; siblingCount?: number }[]) =>
    list.map((m) => `${m.content} ${m.siblingIndex}/${m.siblingCount}`);

  describe('MessagesRepository.listByConversation', () => {
    it('lists the current branch root first, or the whole tree, with sibling numbers; pages either', async () => {
      const { conv, setCurrent } = await aTree();
      await setCurrent('c1');
      expect(named(await messages.branchOf(conv.id))).toEqual([
        'r1 1/2',
        'a 1/1',
        'b1 1/2',
        'c1 1/1',
      ]);
      const page = await messages.listByConversation(conv.id, { page: 2, size: 3, order: 'desc' });
      expect({ total: page.total, items: named(page.items) }).toEqual({
        total: 4,
        items: ['r1 1/2'],
      });
      const all = await messages.listByConversation(conv.id, {
        page: 1,
        size: 100,
        order: 'asc',
        all: true,
      });
      expect({ total: all.total, items: named(all.items) }).toEqual({
        total: 9,
        items: [
          'r1 1/2',
          'a 1/1',
          'b1 1/2',
          'c1 1/1',
          'b2 2/2',
          'c2 1/2',
          'c3 2/2',
          'r2 2/2',
          'x 1/1',
        ],
      });
      const beyond = await messages.listByConversation(conv.id, {
        page: 9,
        size: 50,
        order: 'asc',
      });
      expect(beyond).toEqual({ total: 4, items: [] });
    });

    it('walks a branch of 1,000 messages among 10 branches in one statement', async () => {
      const conv = await aConversation(t, user);
      await t.sql(
        `WITH RECURSIVE chain AS (
           SELECT 1 AS n, gen_random_uuid() AS id, NULL::uuid AS parent
           UNION ALL SELECT n + 1, gen_random_uuid(), id FROM chain WHERE n < 1000)
         INSERT INTO messages (id, conversation_id, user_id, parent_id, role, content)
         SELECT id, $1, $2, parent, CASE WHEN n % 2 = 1 THEN 'user' ELSE 'assistant' END, 'm' || n
           FROM chain ORDER BY n`,
        [conv.id, user.id],
      );
      // Nine more branches off messages along the chain.
      await t.sql(
        `INSERT INTO messages (conversation_id, user_id, parent_id, role, content)
         SELECT $1, $2, m.id, 'user', 'side ' || m.content FROM messages m
          WHERE m.conversation_id = $1 AND m.content = ANY($3::text[])`,
        [
          conv.id,
          user.id,
          ['m100', 'm200', 'm300', 'm400', 'm500', 'm600', 'm700', 'm800', 'm900'],
        ],
      );
      await t.sql(
        `UPDATE conversations SET current_message_id =
           (SELECT id FROM messages WHERE conversation_id = $1 AND content = 'm1000'),
           message_count = (SELECT count(*) FROM messages WHERE conversation_id = $1)
          WHERE id = $1`,
        [conv.id],
      );
      const branch = await messages.branchOf(conv.id);
      expect(branch).toHaveLength(1000);
      expect(branch[0].content).toBe('m1');
      expect(branch.at(-1)?.content).toBe('m1000');
      expect(named([branch[100]])).toEqual(['m101 1/2']);
      const context = await sends.context(
        { conversationId: conv.id, parentId: undefined },
        user.id,
        200,
      );
      expect(context?.history).toHaveLength(200);
      expect(context?.history[0].content).toBe('m801');
      expect(context?.history.at(-1)?.content).toBe('m1000');
    });
  });

  describe('ConversationsRepository.switchBranch', () => {
    it('makes current the leaf down the newest children from the message', async () => {
      const { conv, ids, current } = await aTree();
      for (const [from, leaf] of [
        ['r1', 'c3'],
        ['b1', 'c1'],
        ['c2', 'c2'],
        ['r2', 'x'],
      ]) {
        const switched = await conversations.switchBranch(conv.id, user.id, ids[from]);
        expect(switched?.found).toBe(true);
        expect(switched?.conversation?.currentMessageId).toBe(ids[leaf]);
        expect((await current()).current).toBe(leaf);
      }
    });

    it('finds nothing for a message of another conversation, and no conversation for another user', async () => {
      const { conv } = await aTree();
      const other = await aTree();
      expect(await conversations.switchBranch(conv.id, user.id, other.ids.a)).toEqual({
        found: false,
        conversation: null,
      });
      const stranger = await registerUser(t);
      expect(await conversations.switchBranch(conv.id, stranger.id, other.ids.a)).toBeNull();
    });
  });

  describe('MessagesRepository.deleteSubtree', () => {
    it('refuses a subtree with a streaming reply, deleting nothing', async () => {
      const { ids, current } = await aTree();
      const before = await current();
      expect(await messages.deleteSubtree(ids.a, user.id)).toMatchObject({
        streaming: true,
        deleted: 0,
        moved: false,
      });
      expect(await current()).toEqual(before);
    });

    it('deletes the subtree, counts it off, and moves a current branch that ran through it', async () => {
      const { ids, setCurrent, current } = await aTree();
      await setCurrent('c1');
      expect(await messages.deleteSubtree(ids.b1, user.id)).toMatchObject({
        streaming: false,
        deleted: 2,
        moved: true,
        currentMessageId: ids.c3,
      });
      expect(await current()).toEqual({ current: 'c3', count: 7 });
      // Elsewhere: current stays.
      expect(await messages.deleteSubtree(ids.x, user.id)).toMatchObject({
        deleted: 1,
        moved: false,
      });
      expect(await current()).toEqual({ current: 'c3', count: 6 });
    });

    it('a deleted root moves current to the newest other root, then nothing', async () => {
      const { ids, current } = await aTree();
      expect(await messages.deleteSubtree(ids.r2, user.id)).toMatchObject({
        deleted: 2,
        moved: true,
      });
      expect((await current()).current).toBe('c3');
      await t.sql(`UPDATE messages SET status = 'completed' WHERE id = $1`, [ids.c3]);
      expect(await messages.deleteSubtree(ids.r1, user.id)).toMatchObject({
        deleted: 7,
        currentMessageId: null,
      });
      expect(await current()).toEqual({ current: null, count: 0 });
    });

    it('is nothing for another user', async () => {
      const { ids } = await aTree();
      const stranger = await registerUser(t);
      expect(await messages.deleteSubtree(ids.x, stranger.id)).toBeNull();
    });
  });

  describe('SendRepository.context', () => {
    it('reads the branch up from the named parent, the current message, or nothing', async () => {
      const { conv, ids, setCurrent } = await aTree();
      await setCurrent('c1');
      const contents = async (parentId: string | null | undefined) => {
        const read = await sends.context({ conversationId: conv.id, parentId }, user.id, 200);
        return {
          parent: read?.parentId,
          found: read?.parentFound,
          history: read?.history.map((h) => h.content),
        };
      };
      expect(await contents(undefined)).toEqual({
        parent: ids.c1,
        found: true,
        history: ['r1', 'a', 'b1', 'c1'],
      });
      expect(await contents(ids.c2)).toEqual({
        parent: ids.c2,
        found: true,
        history: ['r1', 'a', 'b2', 'c2'],
      });
      expect(await contents(null)).toEqual({ parent: null, found: true, history: [] });
      const other = await aTree();
      expect(await contents(other.ids.a)).toMatchObject({ found: false, history: [] });
    });

    it("reads a regeneration's branch up from its user message, with the message's role", async () => {
      const { conv, ids } = await aTree();
      const read = await sends.context({ regenerate: ids.c2 }, user.id, 200);
      expect(read).toMatchObject({
        conversationId: conv.id,
        parentId: ids.b2,
        regeneratedRole: 'assistant',
      });
      expect(read?.history.map((h) => h.content)).toEqual(['r1', 'a', 'b2']);
      expect((await sends.context({ regenerate: ids.b2 }, user.id, 200))?.regeneratedRole).toBe(
        'user',
      );
      const stranger = await registerUser(t);
      expect(await sends.context({ regenerate: ids.c2 }, stranger.id, 200)).toBeNull();
    });
  });

  /**
   * A plan made while `messages` is small (a new database; a named statement is planned once
   * per connection, then reused) must still walk a branch by primary key: planned as a hash
   * join, each level of the walk reads the whole table, and every send slows down as the
   * table grows (seen in bench P4, fixed with LATERAL lookups).
   */
  describe('tree walks as planned on a small table', () => {
    /** The text and values of the statement `run` sends whose text matches `marker`. */
    async function captured(marker: string, run: () => Promise<unknown>) {
      const spy = jest.spyOn(Client.prototype, 'query');
      try {
        await run();
        for (const [config, values] of spy.mock.calls as unknown as [unknown, unknown][]) {
          const c = (typeof config === 'string' ? { text: config, values } : config) as {
            text: string;
            values?: unknown[];
          };
          if (c.text.includes(marker)) return { text: c.text, values: c.values ?? [] };
        }
        throw new Error(`no statement with ${marker}`);
      } finally {
        spy.mockRestore();
      }
    }

    /** Its generic plan (the one a prepared statement keeps), on a connection of its own. */
    async function genericPlan({ text, values }: { text: string; values: unknown[] }) {
      const runner = t.app.get(DataSource).createQueryRunner();
      try {
        await runner.query('SET plan_cache_mode = force_generic_plan');
        await runner.query(`PREPARE walk_under_test AS ${text}`);
        const literals = values.map((v) => {
          if (v === null || v === undefined) return 'NULL';
          if (typeof v === 'number' || typeof v === 'boolean') return String(v);
          const text = typeof v === 'string' ? v : JSON.stringify(v);
          return `'${text.replace(/'/g, "''")}'`;
        });
        const rows = (await runner.query(
          `EXPLAIN (COSTS OFF) EXECUTE walk_under_test(${literals.join(', ')})`,
        )) as { 'QUERY PLAN': string }[];
        return rows.map((r) => r['QUERY PLAN']).join('\n');
      } finally {
        await runner.query('DEALLOCATE ALL').catch(() => undefined);
        await runner.release();
      }
    }

    it("SendRepository.context walks by primary key (a send's and a regeneration's)", async () => {
      const { conv, ids } = await aTree();
      for (const start of [
        { conversationId: conv.id, parentId: undefined },
        { regenerate: ids.c2 },
      ]) {
        const statement = await captured('WITH RECURSIVE c AS', () =>
          sends.context(start, user.id, 200),
        );
        const plan = await genericPlan(statement);
        expect(plan).not.toMatch(/Hash Join|Merge Join|Seq Scan on messages/);
        expect(plan).toMatch(/Index Scan using messages_pk on messages/);
      }
    });

    it('MessagesRepository.listByConversation walks the current branch by primary key', async () => {
      const { conv } = await aTree();
      const statement = await captured('WITH RECURSIVE b AS', () =>
        messages.listByConversation(conv.id, { page: 1, size: 50, order: 'asc' }),
      );
      expect(await genericPlan(statement)).not.toMatch(/Hash Join|Merge Join|Seq Scan on messages/);
    });
  });
});
