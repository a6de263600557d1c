import { DataSource } from 'typeorm';
import { registerUser } from '../factories';
import { bootApp, TestApp } from '../support/app';

/**
 * Conversation search runs ILIKE '%…%' on titles and message text; trigram GIN indexes
 * serve it. A heavy user (20,000 conversations, 10 matching) makes the trigram index the
 * selective one; sequential scans are discouraged so the plan shows what an index can serve.
 */
describe('Conversation search plans', () => {
  let t: TestApp;
  let userId: string;

  beforeAll(async () => {
    t = await bootApp();
    userId = (await registerUser(t)).id;
    await t.sql(
      `INSERT INTO conversations (user_id, title, model)
       SELECT $1, 'conversation ' || g || CASE WHEN g % 2000 = 0 THEN ' 聊天助手 quarterly report' ELSE '' END, 'gpt-3.5-turbo'
         FROM generate_series(1, 20000) g`,
      [userId],
    );
    await t.sql(
      `INSERT INTO messages (conversation_id, user_id, role, content)
       SELECT c.id, $1, 'user', 'message about topic ' || c.title FROM conversations c WHERE c.user_id = $1`,
      [userId],
    );
    // Rows inserted after a GIN index wait in its pending list until VACUUM merges them (autovacuum does in
    // production); planning against the pending list would overstate the index's cost.
    await t.sql('VACUUM ANALYZE conversations');
    await t.sql('VACUUM ANALYZE messages');
  });
  afterAll(async () => {
    await t.close();
  });

  /** The plan of the list query's search predicate, with sequential scans discouraged. */
  async function planOf(
    table: 'conversations' | 'messages',
    column: string,
    pattern: string,
  ): Promise<string> {
    const rows = await t.app.get(DataSource).transaction(async (tx) => {
      await tx.query('SET LOCAL enable_seqscan = off');
      return tx.query<{ 'QUERY PLAN': string }[]>(
        `EXPLAIN SELECT id FROM ${table} WHERE user_id = $1 AND ${column} ILIKE $2 ESCAPE '\\'`,
        [userId, pattern],
      );
    });
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  }

  async function ctype(): Promise<string> {
    const [row] = await t.sql<{ c: string }>(
      `SELECT datctype AS c FROM pg_database WHERE datname = current_database()`,
    );
    return row.c;
  }

  it('serves a Latin substring search on titles and message text from the trigram indexes', async () => {
    const titlePlan = await planOf('conversations', 'title', '%quarterly%');
    const textPlan = await planOf('messages', 'content', '%quarterly%');
    console.log(
      `title ILIKE '%quarterly%':\n${titlePlan}\n\nmessage ILIKE '%quarterly%':\n${textPlan}`,
    );
    expect(titlePlan).toContain('conversations_title_trgm_idx');
    expect(textPlan).toContain('messages_content_trgm_idx');
  });

  it('serves a Chinese substring search from the trigram index where the database locale classifies CJK letters', async () => {
    const locale = await ctype();
    // Trigrams need three characters: a two-character search ('天助') is answered by a scan.
    const plan = await planOf('conversations', 'title', '%聊天助%');
    const twoChars = await planOf('conversations', 'title', '%天助%');
    console.log(
      `lc_ctype ${locale}; title ILIKE '%聊天助%':\n${plan}\n\ntitle ILIKE '%天助%' (2 characters):\n${twoChars}`,
    );
    for (const pattern of ['%聊天助%', '%天助%']) {
      const [{ n }] = await t.sql<{ n: number }>(
        `SELECT count(*)::int AS n FROM conversations WHERE user_id = $1 AND title ILIKE $2`,
        [userId, pattern],
      );
      expect(n).toBe(10);
    }
    if (locale === 'C' || locale === 'POSIX') {
      // pg_trgm makes no trigrams of non-ASCII letters under the C locale (embedded PGlite): the
      // search is still right, by a scan. Production PostgreSQL (C.UTF-8, en_US.UTF-8…) uses the index.
      expect(plan).not.toContain('conversations_title_trgm_idx');
    } else {
      expect(plan).toContain('conversations_title_trgm_idx');
    }
  });
});
