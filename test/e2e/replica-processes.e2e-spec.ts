import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import request from 'supertest';
import WebSocket from 'ws';
import { TEST_JWT_SECRET } from '../support/app';
import { freePort } from '../support/service-process';

/**
 * Two replicas as two real processes, sharing nothing but PostgreSQL and Redis. Jest runs
 * this file only when DATABASE_URL and REDIS_URL are set (jest.config.js; CI's first pass).
 */

interface Replica {
  url: string;
  process: ChildProcess;
  output: string[];
}

async function startReplica(databaseUrl: string, redisUrl: string): Promise<Replica> {
  const port = await freePort();
  const output: string[] = [];
  // From source: ts-node's transpiler keeps decorator metadata (unlike esbuild-based runners).
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register', join(__dirname, '../../src/main.ts')],
    {
      cwd: join(__dirname, '../..'),
      env: {
        ...process.env,
        TS_NODE_TRANSPILE_ONLY: '1',
        NODE_ENV: 'test',
        HOST: '127.0.0.1',
        PORT: String(port),
        DATABASE_URL: databaseUrl,
        REDIS_URL: redisUrl,
        JWT_SECRET: TEST_JWT_SECRET,
        LLM_PROVIDER: 'offline',
        OPENAI_API_KEY: '',
        OFFLINE_TOKEN_DELAY_MS: '40',
        RATE_LIMIT_AUTH: '100000',
        RATE_LIMIT_MESSAGES: '100000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout?.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 120; i++) {
    const ready = await request(url)
      .get('/api/v1/health/ready')
      .then((r) => r.status === 200)
      .catch(() => false);
    if (ready) return { url, process: child, output };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  child.kill('SIGKILL');
  throw new Error(`replica did not start:\n${output.join('')}`);
}

async function stopReplica(replica: Replica): Promise<number | null> {
  if (replica.process.exitCode !== null) return replica.process.exitCode;
  const exited = new Promise<number | null>((resolve) =>
    replica.process.once('exit', (code) => resolve(code)),
  );
  replica.process.kill('SIGTERM');
  return exited;
}

/** A server frame, loosely typed for assertions. */
type Frame = Record<string, any>;

async function socketOn(replica: Replica, token: string) {
  const ws = new WebSocket(`${replica.url.replace('http', 'ws')}/api/v1/ws/chat?token=${token}`);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const frames: Frame[] = [];
  ws.on('message', (data: Buffer) =>
    frames.push(JSON.parse(data.toString()) as Record<string, any>),
  );
  const closed = new Promise<number>((resolve) =>
    ws.once('close', (code: number) => resolve(code)),
  );
  const waitFor = async (match: (f: Frame) => boolean, ms = 15_000): Promise<Frame> => {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      const found = frames.find(match);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`no matching frame; got ${JSON.stringify(frames.map((f) => f.type))}`);
  };
  return { ws, frames, waitFor, closed };
}

describe('Two replica processes on PostgreSQL and Redis', () => {
  let a: Replica;
  let b: Replica;
  let token: string;
  let conversationId: string;

  beforeAll(async () => {
    const { DATABASE_URL: databaseUrl, REDIS_URL: redisUrl } = process.env;
    if (!databaseUrl || !redisUrl) throw new Error('needs DATABASE_URL and REDIS_URL');
    [a, b] = await Promise.all([
      startReplica(databaseUrl, redisUrl),
      startReplica(databaseUrl, redisUrl),
    ]);
    const name = `replica_${Date.now()}`;
    const registered = await request(a.url)
      .post('/api/v1/auth/register')
      .send({
        username: name,
        email: `${name}@example.com`,
        password: 'replica-pass-1',
        confirm_password: 'replica-pass-1',
      });
    token = registered.body.data.access_token as string;
    const created = await request(b.url)
      .post('/api/v1/conversations')
      .set('Authorization', `Bearer ${token}`)
      .send({});
    conversationId = created.body.data.id as string;
  }, 90_000);

  afterAll(async () => {
    const codes = await Promise.all([a, b].filter(Boolean).map(stopReplica));
    // SIGTERM stops each replica cleanly.
    expect(codes).toEqual([0, 0]);
  });

  it('streams a reply started through replica A to the socket on replica B, in order', async () => {
    const onB = await socketOn(b, token);
    const sent = await request(a.url)
      .post(`/api/v1/conversations/${conversationId}/messages`)
      .set('Authorization', `Bearer ${token}`)
      .send({ content: 'Hello from A' });
    expect(sent.status).toBe(201);
    const end = await onB.waitFor((f) => f.type === 'message_end');
    const mine = onB.frames.filter((f) => f.message_id === sent.body.data.assistant_message.id);
    // The reply's event numbers, rising; one may be skipped: an automatic title is an event of
    // the reply's log (SSE `title`) that sockets get as conversation_updated instead.
    const seqs = mine.map((f) => f.seq as number);
    expect(seqs[0]).toBe(1);
    expect(seqs.slice(1).every((seq, i) => seq > seqs[i])).toBe(true);
    expect(seqs.slice(1).filter((seq, i) => seq !== seqs[i] + 1).length).toBeLessThanOrEqual(1);
    expect(mine[0].type).toBe('message_start');
    expect(
      mine
        .filter((f) => f.type === 'message_content')
        .map((f) => f.content)
        .join(''),
    ).toBe(sent.body.data.assistant_message.content);
    expect(end.stopped).toBe(false);
    onB.ws.close();
  });

  it('stops on replica A a reply asked to stop through replica B, and resumes on either', async () => {
    const onA = await socketOn(a, token);
    onA.ws.send(
      JSON.stringify({
        type: 'chat_message',
        conversation_id: conversationId,
        content: 'Talk for a while',
        request_id: 'long',
      }),
    );
    const start = await onA.waitFor((f) => f.type === 'message_start' && f.request_id === 'long');
    await onA.waitFor((f) => f.type === 'message_content' && f.message_id === start.message_id);

    const onB = await socketOn(b, token);
    onB.ws.send(JSON.stringify({ type: 'stop', message_id: start.message_id }));
    const endOnA = await onA.waitFor(
      (f) => f.type === 'message_end' && f.message_id === start.message_id,
    );
    expect(endOnA.stopped).toBe(true);

    const stored = await request(b.url)
      .get(`/api/v1/conversations/${conversationId}/messages?order=desc&size=1`)
      .set('Authorization', `Bearer ${token}`);
    expect(stored.body.data.messages[0]).toMatchObject({ id: start.message_id, status: 'stopped' });

    // Resume from event 2 on replica B: the rest of the stream, ending stopped.
    onB.ws.send(JSON.stringify({ type: 'resume', message_id: start.message_id, after: 2 }));
    const resumedEnd = await onB.waitFor(
      (f) => f.type === 'message_end' && f.message_id === start.message_id,
    );
    expect(resumedEnd.stopped).toBe(true);
    const resumed = onB.frames.filter(
      (f) => f.message_id === start.message_id && typeof f.seq === 'number',
    );
    expect(resumed[0].seq).toBe(3);
    onA.ws.close();
    onB.ws.close();
  });

  it('closes the socket on replica B with 4401 when the session logs out through replica A', async () => {
    const onB = await socketOn(b, token);
    const out = await request(a.url)
      .post('/api/v1/auth/logout')
      .set('Authorization', `Bearer ${token}`)
      .send({});
    expect(out.status).toBe(200);
    expect(await onB.closed).toBe(4401);
  });
});
