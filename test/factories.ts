import { randomBytes } from 'node:crypto';
import type { TestApp } from './support/app';

let counter = 0;

export interface UserInput {
  username: string;
  email: string;
  password: string;
}

/** A valid, unique registration body. */
export function aUser(overrides: Partial<UserInput> = {}): UserInput {
  counter += 1;
  const tag = `${randomBytes(3).toString('hex')}${counter}`;
  return {
    username: `user_${tag}`,
    email: `user_${tag}@example.com`,
    password: `pass-${tag}-secret`,
    ...overrides,
  };
}

export interface RegisteredUser extends UserInput {
  id: string;
  accessToken: string;
  refreshToken: string;
}

/** Registers a user over HTTP (with `headers`: a client address or agent) and returns its credentials and tokens. */
export async function registerUser(
  t: TestApp,
  overrides: Partial<UserInput> = {},
  headers: Record<string, string> = {},
): Promise<RegisteredUser> {
  const input = aUser(overrides);
  const res = await t
    .api()
    .post('/api/v1/auth/register')
    .set(headers)
    .send({ ...input, confirm_password: input.password });
  if (res.status !== 201)
    throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return {
    ...input,
    id: res.body.data.user.id,
    accessToken: res.body.data.access_token,
    refreshToken: res.body.data.refresh_token,
  };
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** POST /users/me/change-password with the access token `token` (the response, whatever it is). */
export function changePassword(t: TestApp, token: string, current: string, next: string) {
  return t
    .api()
    .post('/api/v1/users/me/change-password')
    .set(bearer(token))
    .send({ current_password: current, new_password: next, confirm_password: next });
}

export interface ConversationInput {
  title?: string;
  model?: string;
  system_message?: string;
}

/** The conversation as the API answers it (create, list item, update). */
export interface ConversationData {
  id: string;
  title: string;
  model: string;
  system_message: string | null;
  current_message_id: string | null;
  message_count: number;
  is_archived: boolean;
  created_at: string;
  updated_at: string;
  last_message: { content: string; role: string; created_at: string } | null;
}

/** Creates a conversation over HTTP for the user and returns the created data. */
export async function aConversation(
  t: TestApp,
  user: Pick<RegisteredUser, 'accessToken'>,
  overrides: ConversationInput = {},
): Promise<ConversationData> {
  const res = await t
    .api()
    .post('/api/v1/conversations')
    .set(bearer(user.accessToken))
    .send({ ...overrides });
  if (res.status !== 201) {
    throw new Error(`create conversation failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return res.body.data as ConversationData;
}

export interface MessageInput {
  conversationId: string;
  userId: string;
  role: 'system' | 'user' | 'assistant';
  content: string;
  status?: 'streaming' | 'completed' | 'stopped' | 'failed';
  parentId?: string | null;
  model?: string | null;
  tokensUsed?: number;
}

export interface MessageRow {
  id: string;
  seq: string;
  conversation_id: string;
  user_id: string;
  parent_id: string | null;
  role: string;
  content: string;
  status: string;
  tokens_used: number;
  created_at: Date;
  updated_at: Date;
}

/**
 * Inserts a message row directly and, in the same statement and so the same transaction,
 * counts it on its conversation, makes it the current message and marks the conversation
 * active, as the app does when it records messages (message_count + 1, updated_at = now()).
 * Without `parentId` it follows the current branch (its parent is the current message), as a
 * send does; `parentId: null` makes a root.
 */
export async function insertMessage(t: TestApp, input: MessageInput): Promise<MessageRow> {
  const [row] = await t.sql<MessageRow>(
    `WITH m AS (
       INSERT INTO messages (conversation_id, user_id, parent_id, role, content, status, model, tokens_used)
       SELECT $1, $2, CASE WHEN $9::boolean THEN c.current_message_id ELSE $3::uuid END,
              $4, $5, $6, $7, $8
         FROM conversations c WHERE c.id = $1
       RETURNING *
     ), c AS (
       UPDATE conversations SET message_count = message_count + 1, updated_at = now(),
              current_message_id = (SELECT id FROM m)
        WHERE id = $1
       RETURNING id
     )
     SELECT m.* FROM m, c`,
    [
      input.conversationId,
      input.userId,
      input.parentId ?? null,
      input.role,
      input.content,
      input.status ?? 'completed',
      input.model ?? null,
      input.tokensUsed ?? 0,
      input.parentId === undefined,
    ],
  );
  if (!row) throw new Error(`insertMessage: conversation ${input.conversationId} not found`);
  return row;
}

/** GET /users/me/quota's data (API.md §3). */
export interface QuotaData {
  daily_limit: { requests: number; tokens: number };
  monthly_limit: { requests: number; tokens: number };
  usage_today: { requests: number; tokens: number };
  usage_this_month: { requests: number; tokens: number };
  remaining_today: { requests: number; tokens: number };
}

/** The user's quota as GET /users/me/quota answers it. */
export async function fetchQuota(
  t: TestApp,
  user: Pick<RegisteredUser, 'accessToken'>,
): Promise<QuotaData> {
  const res = await t.api().get('/api/v1/users/me/quota').set(bearer(user.accessToken));
  if (res.status !== 200)
    throw new Error(`quota failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data as QuotaData;
}

export interface QuotaCountersInput {
  dayRequests?: number;
  dayTokens?: number;
  monthRequests?: number;
  monthTokens?: number;
}

/**
 * Sets the user's quota counters for the current UTC day and month (QUOTA_TIMEZONE's default),
 * creating the row when the user has none (migrations/1795556000000-QuotaCounters.ts).
 */
export async function setQuotaCounters(
  t: TestApp,
  userId: string,
  counters: QuotaCountersInput,
): Promise<void> {
  const now = new Date().toISOString();
  const day = now.slice(0, 10);
  const month = `${now.slice(0, 7)}-01`;
  await t.sql(
    `INSERT INTO quota_counters (user_id, day, month, day_requests, day_tokens, month_requests, month_tokens)
     VALUES ($1, $2::date, $3::date, $4, $5, $6, $7)
     ON CONFLICT (user_id) DO UPDATE SET
       day = EXCLUDED.day, month = EXCLUDED.month,
       day_requests = EXCLUDED.day_requests, day_tokens = EXCLUDED.day_tokens,
       month_requests = EXCLUDED.month_requests, month_tokens = EXCLUDED.month_tokens`,
    [
      userId,
      day,
      month,
      counters.dayRequests ?? 0,
      counters.dayTokens ?? 0,
      counters.monthRequests ?? counters.dayRequests ?? 0,
      counters.monthTokens ?? counters.dayTokens ?? 0,
    ],
  );
}
