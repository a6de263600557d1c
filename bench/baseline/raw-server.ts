import argon2 from 'argon2';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { Pool } from 'pg';

/**
 * The P1 baseline: node:http + pg doing what the service does for the same routes, and
 * nothing else (no framework, no validation layer, no logging, no metrics, no rate limiting):
 * the same HS256 check with node:crypto (algorithm, signature, expiry, typ "access", sid a
 * UUID), the same session lookup as SessionsRepository.findActive, the same SQL, the same JSON.
 *   GET  /api/v1/conversations?page=&size=   session + count + page (ConversationsRepository.listOwned)
 *   GET  /api/v1/users/me                   session + user + quota row and storage use (QuotaRepository.usage)
 *   POST /api/v1/auth/login                 argon2.verify of the bench user's hash, nothing else
 */
const secret = process.env.JWT_SECRET!;
const pool = new Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DB_POOL_SIZE ?? 10),
});
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HUGE = Number(process.env.QUOTA_LIMIT ?? 1_000_000_000);
/** The service's default storage quota of a normal user (QUOTA_NORMAL_STORAGE_BYTES), not lifted by the bench. */
const STORAGE_LIMIT = Number(process.env.QUOTA_STORAGE_LIMIT ?? 100 * 1024 * 1024);
let loginHash = '';

interface Claims {
  sub?: unknown;
  sid?: unknown;
  typ?: unknown;
  exp?: unknown;
}

function verifyJwt(header: string | undefined): Claims | null {
  if (!header?.startsWith('Bearer ')) return null;
  const parts = header.slice(7).split('.');
  if (parts.length !== 3) return null;
  try {
    const head = JSON.parse(Buffer.from(parts[0], 'base64url').toString()) as { alg?: string };
    if (head.alg !== 'HS256') return null;
    const expected = createHmac('sha256', secret).update(`${parts[0]}.${parts[1]}`).digest();
    const given = Buffer.from(parts[2], 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString()) as Claims;
    if (typeof claims.exp !== 'number' || claims.exp * 1000 <= Date.now()) return null;
    if (claims.typ !== 'access' || typeof claims.sub !== 'string') return null;
    if (typeof claims.sid !== 'string' || !UUID.test(claims.sid)) return null;
    return claims;
  } catch {
    return null;
  }
}

interface ConversationRow {
  id: string;
  title: string;
  model: string;
  system_message: string | null;
  current_message_id: string | null;
  message_count: number;
  is_archived: boolean;
  created_at: Date;
  updated_at: Date;
  lm_content: string | null;
  lm_role: string | null;
  lm_created_at: Date | null;
}

interface UserRow {
  id: string;
  username: string;
  email: string;
  role: string;
  is_active: boolean;
  is_vip: boolean;
  created_at: Date;
  updated_at: Date;
}

interface SessionRow {
  session_id: string;
  user_id: string;
  is_active: boolean;
}

async function authenticate(req: IncomingMessage): Promise<SessionRow | null> {
  const claims = verifyJwt(req.headers.authorization);
  if (!claims) return null;
  const { rows } = await pool.query<SessionRow>(
    `SELECT s.id AS session_id, u.id AS user_id, u.username, u.role, u.is_active, u.is_vip
       FROM sessions s JOIN users u ON u.id = s.user_id
      WHERE s.id = $1 AND s.revoked_at IS NULL`,
    [claims.sid],
  );
  const row = rows[0];
  if (!row || row.user_id !== claims.sub || !row.is_active) return null;
  return row;
}

function send(res: ServerResponse, status: number, data: unknown, message: string): void {
  const body = JSON.stringify(
    status < 400
      ? { success: true, data, message, timestamp: new Date().toISOString() }
      : {
          success: false,
          error: { code: 'UNAUTHORIZED', message },
          timestamp: new Date().toISOString(),
        },
  );
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(body);
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

async function conversations(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const session = await authenticate(req);
  if (!session) return send(res, 401, null, 'Unauthorized');
  const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
  const size = Math.min(100, Math.max(1, Number(url.searchParams.get('size') ?? 20) || 20));
  const whereSql = 'c.user_id = $1 AND c.is_archived = false';
  const { rows: counted } = await pool.query<{ total: number }>(
    `SELECT count(*)::int AS total FROM conversations c WHERE ${whereSql}`,
    [session.user_id],
  );
  const total = counted[0].total;
  let items: unknown[] = [];
  if (total > 0) {
    const { rows } = await pool.query<ConversationRow>(
      `SELECT c.*, lm.content AS lm_content, lm.role AS lm_role, lm.created_at AS lm_created_at
         FROM conversations c
         LEFT JOIN LATERAL (
           SELECT m.content, m.role, m.created_at FROM messages m
            WHERE m.id = c.current_message_id LIMIT 1
         ) lm ON true
        WHERE ${whereSql}
        ORDER BY c.updated_at DESC, c.id DESC
        LIMIT ${size} OFFSET ${(page - 1) * size}`,
      [session.user_id],
    );
    items = rows.map((r) => ({
      id: r.id,
      title: r.title,
      model: r.model,
      system_message: r.system_message,
      current_message_id: r.current_message_id,
      message_count: r.message_count,
      is_archived: r.is_archived,
      created_at: iso(r.created_at),
      updated_at: iso(r.updated_at),
      last_message:
        r.lm_role === null
          ? null
          : { content: r.lm_content ?? '', role: r.lm_role, created_at: iso(r.lm_created_at) },
    }));
  }
  send(
    res,
    200,
    { conversations: items, pagination: { page, size, total, pages: Math.ceil(total / size) } },
    'Conversations retrieved',
  );
}

async function me(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const session = await authenticate(req);
  if (!session) return send(res, 401, null, 'Unauthorized');
  const { rows: users } = await pool.query<UserRow>(
    `SELECT id, username, email, role, is_active, is_vip, created_at, updated_at FROM users WHERE id = $1 LIMIT 1`,
    [session.user_id],
  );
  const user = users[0];
  const now = new Date().toISOString();
  const day = now.slice(0, 10);
  const month = `${now.slice(0, 7)}-01`;
  const { rows: quota } = await pool.query<{
    dr: number;
    dt: number;
    mr: number;
    mt: number;
    sb: string | number;
    sf: number;
  }>(
    `SELECT (CASE WHEN q.day = $2::date THEN q.day_requests ELSE 0 END) AS dr,
            (CASE WHEN q.day = $2::date THEN q.day_tokens ELSE 0 END) AS dt,
            (CASE WHEN q.month = $3::date THEN q.month_requests ELSE 0 END) AS mr,
            (CASE WHEN q.month = $3::date THEN q.month_tokens ELSE 0 END) AS mt,
            coalesce(s.bytes, 0) AS sb, coalesce(s.files, 0) AS sf
       FROM (SELECT $1::uuid AS user_id) u
       LEFT JOIN quota_counters q ON q.user_id = u.user_id
       LEFT JOIN storage_usage s ON s.user_id = u.user_id`,
    [session.user_id, day, month],
  );
  const q = quota[0] ?? { dr: 0, dt: 0, mr: 0, mt: 0, sb: 0, sf: 0 };
  send(
    res,
    200,
    {
      id: user.id,
      username: user.username,
      email: user.email,
      is_active: user.is_active,
      is_vip: user.is_vip,
      role: user.role,
      created_at: iso(user.created_at),
      updated_at: iso(user.updated_at),
      quota: {
        daily_requests: HUGE,
        monthly_requests: HUGE,
        daily_tokens: HUGE,
        monthly_tokens: HUGE,
        requests_used_today: Number(q.dr),
        tokens_used_today: Number(q.dt),
        storage: { limit_bytes: STORAGE_LIMIT, used_bytes: Number(q.sb), files: Number(q.sf) },
      },
    },
    'Profile retrieved',
  );
}

async function login(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  const body = JSON.parse(Buffer.concat(parts).toString()) as { password?: string };
  const ok = await argon2.verify(loginHash, body.password ?? '');
  send(
    res,
    ok ? 200 : 401,
    ok ? { verified: true } : null,
    ok ? 'Login successful' : 'Unauthorized',
  );
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const route =
    req.method === 'GET' && url.pathname === '/api/v1/conversations'
      ? conversations(req, res, url)
      : req.method === 'GET' && url.pathname === '/api/v1/users/me'
        ? me(req, res)
        : req.method === 'POST' && url.pathname === '/api/v1/auth/login'
          ? login(req, res)
          : Promise.resolve(send(res, 404, null, 'Not found'));
  route.catch((error: unknown) => {
    res.writeHead(500);
    res.end(String(error));
  });
});

async function main(): Promise<void> {
  if (process.env.BENCH_LOGIN_USER) {
    const { rows } = await pool.query<{ password_hash: string }>(
      'SELECT password_hash FROM users WHERE username = $1',
      [process.env.BENCH_LOGIN_USER],
    );
    loginHash = rows[0].password_hash;
  }
  server.keepAliveTimeout = 60_000;
  server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('READY'));
}

process.on('SIGTERM', () => {
  server.close();
  void pool.end().then(() => process.exit(0));
});
void main();
