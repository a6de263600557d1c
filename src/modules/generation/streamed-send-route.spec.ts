import type { Request, Response } from 'express';
import { streamedSendRoute } from './streamed-send-route';

const route = streamedSendRoute('api/v1');
const id = '7d0f6a52-6c3b-4f0e-9b1e-3f1f5b7f2a10';

/** The URL the request is routed by after the middleware, and whether it called next. */
function routed(method: string, url: string, body: unknown): string {
  const req = { method, url, body } as Request;
  let nexts = 0;
  route(req, {} as Response, () => void nexts++);
  expect(nexts).toBe(1);
  return req.url;
}

describe(streamedSendRoute.name, () => {
  it('routes a send with stream: true to the stream route, keeping the query', () => {
    const base = `/api/v1/conversations/${id}/messages`;
    expect(routed('POST', base, { content: 'x', stream: true })).toBe(`${base}/stream`);
    expect(routed('POST', `${base}/`, { stream: true })).toBe(`${base}/stream`);
    expect(routed('POST', `${base}?lang=fr`, { stream: true })).toBe(`${base}/stream?lang=fr`);
  });

  it('leaves every other request as it is', () => {
    const base = `/api/v1/conversations/${id}/messages`;
    for (const body of [{ stream: false }, { stream: 'true' }, {}, null, undefined, 'stream']) {
      expect(routed('POST', base, body)).toBe(base);
    }
    expect(routed('GET', base, { stream: true })).toBe(base);
    expect(routed('POST', `${base}/stream`, { stream: true })).toBe(`${base}/stream`);
    expect(routed('POST', `/api/v1/conversations/${id}`, { stream: true })).toBe(
      `/api/v1/conversations/${id}`,
    );
    expect(routed('POST', `/other/conversations/${id}/messages`, { stream: true })).toBe(
      `/other/conversations/${id}/messages`,
    );
  });
});
