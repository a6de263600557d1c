import { bootApp, TestApp } from '../support/app';

describe('The contract frame', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await bootApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers malformed JSON with 400 VALIDATION_ERROR in the envelope and a request id', async () => {
    const res = await t.api().post('/api/v1/auth/login').set('Content-Type', 'application/json').send('{"username": ');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ success: false, error: { code: 'VALIDATION_ERROR' } });
    expect(typeof res.body.timestamp).toBe('string');
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('echoes a client X-Request-Id', async () => {
    const res = await t.api().get('/api/v1/users/me').set('X-Request-Id', 'client-req-42');
    expect(res.status).toBe(401);
    expect(res.headers['x-request-id']).toBe('client-req-42');
  });

  it('answers unknown routes with 404 RESOURCE_NOT_FOUND', async () => {
    const res = await t.api().get('/api/v1/no-such-route');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('RESOURCE_NOT_FOUND');
  });
});
