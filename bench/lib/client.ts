/** Small JSON client for seeding the service over HTTP. */
export interface Session {
  userId: string;
  username: string;
  password: string;
  token: string;
}

export async function call<T = unknown>(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
): Promise<{ status: number; data: T; raw: unknown }> {
  const res = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const raw = (await res.json().catch(() => null)) as { data?: T } | null;
  return { status: res.status, data: raw?.data as T, raw };
}

async function expectOk<T>(
  p: Promise<{ status: number; data: T; raw: unknown }>,
  what: string,
): Promise<T> {
  const r = await p;
  if (r.status >= 300) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.raw)}`);
  return r.data;
}

export async function register(base: string, username: string): Promise<Session> {
  const password = 'bench-password-123';
  const data = await expectOk(
    call<{ user: { id: string }; access_token: string }>(base, 'POST', '/auth/register', {
      username,
      email: `${username}@bench.example.com`,
      password,
      confirm_password: password,
    }),
    'register',
  );
  return { userId: data.user.id, username, password, token: data.access_token };
}

export async function createConversation(
  base: string,
  token: string,
  title: string,
): Promise<string> {
  const data = await expectOk(
    call<{ id: string }>(base, 'POST', '/conversations', { title }, token),
    'create conversation',
  );
  return data.id;
}

export async function send(
  base: string,
  token: string,
  conversationId: string,
  content: string,
): Promise<void> {
  await expectOk(
    call(base, 'POST', `/conversations/${conversationId}/messages`, { content }, token),
    'send',
  );
}

/** Runs `fn` over `items` with at most `n` at a time. */
export async function inParallel<T>(
  items: T[],
  n: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}
