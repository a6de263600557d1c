import { randomUUID } from 'node:crypto';
import { Client } from 'pg';

/**
 * Fills an existing (empty) conversation with a tree of messages straight in the database: a
 * trunk of `trunk` messages, then `branches` branches of `perBranch` messages each from the
 * trunk's last message; user and assistant turns alternate; the last branch is current. The
 * shape of a long conversation with many regenerations and edits (issue 15).
 */
export async function seedTree(
  databaseUrl: string,
  conversationId: string,
  shape: { trunk: number; branches: number; perBranch: number },
): Promise<{ messages: number }> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const owner = await client.query<{ user_id: string; model: string }>(
      'SELECT user_id, model FROM conversations WHERE id = $1',
      [conversationId],
    );
    const { user_id: userId, model } = owner.rows[0];
    const rows: { id: string; parent: string | null; role: string; content: string }[] = [];
    const chain = (from: string | null, n: number, label: string): string | null => {
      let parent = from;
      for (let i = 0; i < n; i++) {
        const id = randomUUID();
        const role = (rows.length + i) % 2 === 0 ? 'user' : 'assistant';
        rows.push({ id, parent, role, content: `${label} message ${i}: a few words of text` });
        parent = id;
      }
      return parent;
    };
    const fork = chain(null, shape.trunk, 'trunk');
    let current = fork;
    for (let b = 0; b < shape.branches; b++) current = chain(fork, shape.perBranch, `branch ${b}`);
    await client.query(
      `INSERT INTO messages (id, conversation_id, user_id, parent_id, role, content, status, model, tokens_used)
       SELECT x.id, $1, $2, x.parent, x.role, x.content, 'completed', $3, 12
         FROM jsonb_to_recordset($4::jsonb) AS x(id uuid, parent uuid, role text, content text)`,
      [conversationId, userId, model, JSON.stringify(rows)],
    );
    await client.query(
      'UPDATE conversations SET current_message_id = $2, message_count = $3 WHERE id = $1',
      [conversationId, current, rows.length],
    );
    return { messages: rows.length };
  } finally {
    await client.end();
  }
}
