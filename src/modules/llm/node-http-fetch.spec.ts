import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { nodeHttpFetch } from './node-http-fetch';

describe('nodeHttpFetch', () => {
  let server: http.Server;
  let base: string;
  const seen: { method?: string; auth?: string; body: string }[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        seen.push({ method: req.method, auth: req.headers.authorization, body });
        if (req.url === '/hang') return; // never answers
        res.writeHead(req.url === '/missing' ? 404 : 200, {
          'content-type': 'application/json',
          'x-request-id': 'r1',
        });
        res.end(JSON.stringify({ echo: body }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends the method, headers and body, and answers status, headers and JSON', async () => {
    const res = await nodeHttpFetch(`${base}/ok`, {
      method: 'POST',
      headers: { Authorization: 'Bearer k' },
      body: '{"a":1}',
    });
    expect(res).toMatchObject({ ok: true, status: 200 });
    expect(res.headers.get('x-request-id')).toBe('r1');
    expect(await res.json()).toEqual({ echo: '{"a":1}' });
    expect(seen.at(-1)).toEqual({ method: 'POST', auth: 'Bearer k', body: '{"a":1}' });
  });

  it('answers a non-2xx status with ok false and its text', async () => {
    const res = await nodeHttpFetch(`${base}/missing`);
    expect(res).toMatchObject({ ok: false, status: 404 });
    expect(await res.text()).toBe('{"echo":""}');
  });

  it('rejects with an AbortError when the signal aborts before the answer', async () => {
    const controller = new AbortController();
    const pending = nodeHttpFetch(`${base}/hang`, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('rejects an unreachable server as fetch does (TypeError with a cause)', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    await expect(nodeHttpFetch(`http://127.0.0.1:${port}/`)).rejects.toMatchObject({
      name: 'TypeError',
      cause: expect.objectContaining({ code: 'ECONNREFUSED' }),
    });
  });

  describe('sendAfter', () => {
    /** A gate the test opens (true) or closes (false) by hand. */
    function gate() {
      let open!: (go: boolean) => void;
      const sendAfter = new Promise<boolean>((resolve) => (open = resolve));
      return { sendAfter, open };
    }
    const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

    it('holds the built request until the gate opens, then sends it', async () => {
      const { sendAfter, open } = gate();
      const before = seen.length;
      const pending = nodeHttpFetch(`${base}/ok`, { method: 'POST', body: 'held', sendAfter });
      await settle();
      expect(seen).toHaveLength(before);
      open(true);
      const res = await pending;
      expect(await res.json()).toEqual({ echo: 'held' });
      expect(seen).toHaveLength(before + 1);
    });

    it('never sends a request whose gate says no: an AbortError, nothing reaches the server', async () => {
      const { sendAfter, open } = gate();
      const before = seen.length;
      const pending = nodeHttpFetch(`${base}/ok`, { method: 'POST', body: 'dropped', sendAfter });
      open(false);
      await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
      await settle();
      expect(seen).toHaveLength(before);
    });

    it('never sends a request whose signal aborted while it waited, whatever the gate says', async () => {
      const { sendAfter, open } = gate();
      const controller = new AbortController();
      const before = seen.length;
      const pending = nodeHttpFetch(`${base}/ok`, { sendAfter, signal: controller.signal });
      controller.abort();
      open(true);
      await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
      await settle();
      expect(seen).toHaveLength(before);
    });
  });
});
