import type { NestExpressApplication } from '@nestjs/platform-express';
import { getMetadataStorage } from 'class-validator';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Response } from 'supertest';
import {
  aConversation,
  bearer,
  registerUser,
  RegisteredUser,
  setQuotaCounters,
} from '../factories';
import { bootApp, TestApp } from '../support/app';
import { FakeOpenAi, startFakeOpenAi } from '../support/fake-openai';
import { resolvePointer, validateSchema } from '../support/json-schema';
import { TITLES_OFF } from '../support/titles';

type Json = Record<string, any>;

const COMMITTED = JSON.parse(readFileSync(join(__dirname, '../../openapi.json'), 'utf8')) as Json;
/** Where @nestjs/swagger lists a class's documented properties (its DECORATORS constant). */
const SWAGGER_PROPERTIES = 'swagger/apiModelPropertiesArray';
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

interface Route {
  method: string;
  /** OpenAPI form: /api/v1/conversations/{id} */
  path: string;
}

/** The routes Express really serves (Nest's and the docs'), read off the router. */
function registeredRoutes(t: TestApp): Route[] {
  const express = (t.app as NestExpressApplication).getHttpAdapter().getInstance() as {
    router: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] };
  };
  const out: Route[] = [];
  for (const layer of express.router.stack) {
    if (!layer.route) continue;
    const methods = Object.entries(layer.route.methods).filter(([, on]) => on);
    // Nest binds middleware for RequestMethod.ALL (the request logger's `{*path}`) as a route
    // answering every method; no controller route does that.
    if (methods.length > METHODS.length) continue;
    for (const [method] of methods) {
      out.push({ method, path: layer.route.path.replace(/:([A-Za-z_]\w*)/g, '{$1}') });
    }
  }
  return out;
}

function documentedRoutes(doc: Json): Route[] {
  const out: Route[] = [];
  for (const [path, item] of Object.entries(doc.paths as Json)) {
    for (const method of METHODS) if (item[method]) out.push({ method, path });
  }
  return out;
}

const key = (r: Route) => `${r.method.toUpperCase()} ${r.path}`;

/** A concrete URL for a documented path: every parameter a fresh UUID. */
const concrete = (path: string) => path.replace(/\{[^}]+\}/g, () => randomUUID());

/** The documented operation of a request, matched by method and path template. */
function operationOf(doc: Json, method: string, url: string): { path: string; op: Json } {
  const pathname = url.split('?')[0];
  for (const [path, item] of Object.entries(doc.paths as Json)) {
    const pattern = new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    if (pattern.test(pathname) && item[method]) return { path, op: item[method] as Json };
  }
  throw new Error(`${method.toUpperCase()} ${pathname} is not in the document`);
}

/**
 * The real check: this answer's status is documented for its route, its body conforms to the
 * documented schema (no undocumented fields), an error's code is one the route lists for that
 * status, and the documented headers are there.
 */
function expectDocumented(doc: Json, res: Response): void {
  const req = (res as unknown as { req: { method: string; path: string } }).req;
  const { path, op } = operationOf(doc, req.method.toLowerCase(), req.path);
  const where = `${req.method} ${path} → ${res.status}`;
  const response = op.responses[String(res.status)] as Json | undefined;
  if (!response)
    throw new Error(`${where} is not documented (${Object.keys(op.responses).join(', ')})`);
  const contentType = String(res.headers['content-type'] ?? '').split(';')[0];
  const media = response.content?.[contentType] as Json | undefined;
  if (!media) throw new Error(`${where}: content type ${contentType} is not documented`);
  const errors = validateSchema(media.schema as Json, res.body, doc);
  if (errors.length > 0) {
    throw new Error(
      `${where}: body does not match the document:\n${errors.join('\n')}\n${JSON.stringify(res.body)}`,
    );
  }
  if (res.status >= 400 && response['x-error-codes']) {
    const codes = response['x-error-codes'] as string[];
    if (!codes.includes(res.body.error.code as string)) {
      throw new Error(`${where}: code ${res.body.error.code} is not among ${codes.join(', ')}`);
    }
  }
  for (const [header, spec] of Object.entries((response.headers as Json | undefined) ?? {})) {
    const required =
      (spec.$ref ? resolvePointer(doc, spec.$ref as string) : spec).required === true;
    if (!required) continue;
    expect({ where, header, present: res.headers[header.toLowerCase()] !== undefined }).toEqual({
      where,
      header,
      present: true,
    });
  }
}

describe('The OpenAPI document', () => {
  let fake: FakeOpenAi;
  let t: TestApp;
  let served: Json;
  let user: RegisteredUser;

  beforeAll(async () => {
    fake = await startFakeOpenAi();
    t = await bootApp({
      ...TITLES_OFF,
      OPENAI_API_KEY: 'sk-openapi',
      OPENAI_BASE_URL: fake.baseURL,
      LLM_PROVIDER: 'openai',
      LLM_MAX_RETRIES: '0',
      MODELS_FILE: undefined,
      MODELS_JSON: undefined,
      DEFAULT_MODEL: undefined,
      METRICS_TOKEN: undefined,
      API_DOCS_ENABLED: undefined,
      RATE_LIMIT_MESSAGES: '3',
      BODY_LIMIT_BYTES: '2048',
    });
    served = (await t.api().get('/api/docs-json').expect(200)).body as Json;
    user = await registerUser(t);
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  it('is served at /api/docs-json exactly as committed in openapi.json (npm run openapi)', () => {
    expect(served).toEqual(COMMITTED);
  });

  it('serves Swagger UI at /api/docs, with every script and stylesheet it loads', async () => {
    const page = await t.api().get('/api/docs').expect(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const assets = [...page.text.matchAll(/(?:src|href)="([^"]+\.(?:js|css))"/g)].map((m) => m[1]);
    expect(assets).toEqual(
      expect.arrayContaining([
        expect.stringContaining('swagger-ui-bundle.js'),
        expect.stringContaining('swagger-ui-init.js'),
        expect.stringContaining('swagger-ui.css'),
      ]),
    );
    // Same-origin scripts are what the page's CSP must allow (no inline script needed).
    const csp = String(page.headers['content-security-policy'] ?? '');
    expect(csp).not.toMatch(/default-src 'none'/);
    expect(csp).toMatch(/script-src 'self'/);
    expect(page.text).not.toMatch(/<script>(?!\s*<\/script>)/);
    for (const asset of assets) {
      const url = new URL(asset, `${t.url}/api/docs/`).pathname;
      const res = await t.api().get(url);
      expect({ url, status: res.status }).toEqual({ url, status: 200 });
    }
    const init = await t.api().get('/api/docs/swagger-ui-init.js').expect(200);
    expect(init.text).toContain('"/api/v1/conversations"');
  });

  it('documents every route the application serves, and nothing it does not', () => {
    const served_ = registeredRoutes(t)
      .filter((r) => !r.path.startsWith('/api/docs'))
      .map(key)
      .sort();
    const documented = documentedRoutes(served).map(key).sort();
    expect(served_.length).toBeGreaterThan(30);
    expect(documented).toEqual(served_);
  });

  it('gives every operation an id, a tag, a summary, a success answer and its error answers', () => {
    const ids = new Set<string>();
    for (const route of documentedRoutes(served)) {
      const op = served.paths[route.path][route.method] as Json;
      const where = key(route);
      expect({ where, id: typeof op.operationId }).toEqual({ where, id: 'string' });
      ids.add(op.operationId as string);
      expect({ where, tags: (op.tags ?? []).length > 0, summary: Boolean(op.summary) }).toEqual({
        where,
        tags: true,
        summary: true,
      });
      const statuses = Object.keys(op.responses).map(Number);
      expect({ where, success: statuses.some((s) => s >= 200 && s < 300) }).toEqual({
        where,
        success: true,
      });
      expect({ where, has500: statuses.includes(500) }).toEqual({ where, has500: true });
      const protectedOp = ((op.security ?? []) as Json[]).some((s: Json) => 'bearer' in s);
      if (protectedOp) {
        expect({ where, auth: statuses.filter((s) => s === 401 || s === 403) }).toEqual({
          where,
          auth: [401, 403],
        });
      }
      if (op.requestBody) {
        expect({ where, body: statuses.filter((s) => [400, 413, 422].includes(s)) }).toEqual({
          where,
          body: [400, 413, 422],
        });
      }
      if (((op.parameters ?? []) as Json[]).some((p) => p.in === 'path')) {
        expect({ where, badId: statuses.includes(400) }).toEqual({ where, badId: true });
      }
      for (const status of statuses.filter((s) => s >= 400)) {
        const response = op.responses[String(status)] as Json;
        const schema = response.content?.['application/json']?.schema as Json | undefined;
        // Health and readiness answer their own report with 503; everything else the envelope.
        const raw = schema?.$ref && !String(schema.$ref).endsWith('/ErrorEnvelope');
        if (raw) continue;
        expect({
          where,
          status,
          schema: schema?.$ref,
          codes: (response['x-error-codes'] ?? []).length > 0,
        }).toEqual({
          where,
          status,
          schema: '#/components/schemas/ErrorEnvelope',
          codes: true,
        });
      }
    }
    expect(ids.size).toBe(documentedRoutes(served).length);
  });

  it('lists every error code of the contract in the error envelope', async () => {
    const { ERROR_CODES } = await import('../../src/common/errors/error-codes');
    const body = resolvePointer(served, '#/components/schemas/ErrorBody');
    expect(body.properties.code.enum).toEqual([...ERROR_CODES]);
  });

  it('puts bearer security on exactly the routes that answer 401 without a token', async () => {
    const mismatches: string[] = [];
    for (const route of documentedRoutes(served)) {
      const op = served.paths[route.path][route.method] as Json;
      const client = t.api();
      const res = await client[route.method as 'get'](concrete(route.path))
        .set('Content-Type', 'application/json')
        .send(route.method === 'get' || route.method === 'delete' ? undefined : '{}')
        .timeout(5000);
      const documentedBearer = ((op.security ?? []) as Json[]).some((s: Json) => 'bearer' in s);
      if ((res.status === 401) !== documentedBearer) {
        mismatches.push(
          `${key(route)}: answered ${res.status}, bearer documented: ${documentedBearer}`,
        );
      }
      if (res.status === 401) expectDocumented(served, res);
    }
    expect(mismatches).toEqual([]);
  });

  it('states each request DTO constraint exactly as class-validator enforces it', () => {
    const problems: string[] = [];
    const seen = new Set<string>();
    for (const dto of requestDtos(t)) {
      const rules = validationRules(dto);
      const schema = served.components.schemas[dto.name] as Json | undefined;
      const fromParams = schema ? undefined : queryParametersOf(served, [...rules.keys()]);
      if (!schema && !fromParams) {
        problems.push(`${dto.name}: neither a component schema nor query parameters`);
        continue;
      }
      if (seen.has(dto.name)) continue;
      seen.add(dto.name);
      const properties: Record<string, Json> = schema
        ? (schema.properties as Record<string, Json>)
        : Object.fromEntries(fromParams!.map((p) => [p.name, { ...p.schema }]));
      const required = new Set<string>(
        schema ? (schema.required ?? []) : fromParams!.filter((p) => p.required).map((p) => p.name),
      );
      expect(Object.keys(properties).sort()).toEqual([...rules.keys()].sort());
      for (const [property, rule] of rules) {
        const documented = properties[property] ?? {};
        const actual = {
          minLength: documented.minLength,
          maxLength: documented.maxLength,
          minimum: documented.minimum,
          maximum: documented.maximum,
          enum: documented.enum,
          email: documented.format === 'email',
          type: documented.type,
          maxItems: documented.maxItems,
          uniqueItems: documented.uniqueItems,
          required: required.has(property),
        };
        const expected = { ...rule };
        if (JSON.stringify(actual) !== JSON.stringify(expected)) {
          problems.push(
            `${dto.name}.${property}: documented ${JSON.stringify(actual)}, enforced ${JSON.stringify(expected)}`,
          );
        }
      }
    }
    expect(seen.size).toBeGreaterThan(10);
    expect(problems).toEqual([]);
  });

  describe('matches what the API really answers', () => {
    const check = (res: Response) => expectDocumented(served, res);

    it('for the auth flow', async () => {
      const fresh = {
        username: `doc_${Date.now()}`,
        email: `doc_${Date.now()}@example.com`,
        password: 'doc-password-1',
      };
      const registered = await t
        .api()
        .post('/api/v1/auth/register')
        .send({ ...fresh, confirm_password: fresh.password });
      expect(registered.status).toBe(201);
      check(registered);
      const login = await t
        .api()
        .post('/api/v1/auth/login')
        .send({ username: fresh.username, password: fresh.password });
      expect(login.status).toBe(200);
      check(login);
      const refresh = await t
        .api()
        .post('/api/v1/auth/refresh')
        .send({ refresh_token: login.body.data.refresh_token });
      expect(refresh.status).toBe(200);
      check(refresh);
      const wrong = await t
        .api()
        .post('/api/v1/auth/login')
        .send({ username: fresh.username, password: 'not-the-password' });
      expect(wrong.status).toBe(401);
      check(wrong);
      const invalid = await t
        .api()
        .post('/api/v1/auth/register')
        .send({ username: 'x', email: 'nope', password: '1', confirm_password: '2' });
      expect(invalid.status).toBe(422);
      check(invalid);
      const malformed = await t
        .api()
        .post('/api/v1/auth/login')
        .set('Content-Type', 'application/json')
        .send('{"username":');
      expect(malformed.status).toBe(400);
      check(malformed);
      const tooLarge = await t
        .api()
        .post('/api/v1/auth/login')
        .send({ username: 'a'.repeat(4096), password: 'x' });
      expect(tooLarge.status).toBe(413);
      check(tooLarge);
      const forgot = await t
        .api()
        .post('/api/v1/auth/forgot-password')
        .send({ email: fresh.email });
      expect(forgot.status).toBe(200);
      check(forgot);
      const ticket = await t
        .api()
        .post('/api/v1/auth/ws-ticket')
        .set(bearer(refresh.body.data.access_token));
      expect(ticket.status).toBe(200);
      check(ticket);
      const logout = await t
        .api()
        .post('/api/v1/auth/logout')
        .set(bearer(refresh.body.data.access_token))
        .send({});
      expect(logout.status).toBe(200);
      check(logout);
      const revoked = await t
        .api()
        .get('/api/v1/users/me')
        .set(bearer(refresh.body.data.access_token));
      expect(revoked.status).toBe(401);
      check(revoked);
    });

    it('for the user, conversations and messages', async () => {
      const auth = bearer(user.accessToken);
      for (const path of ['/api/v1/users/me', '/api/v1/users/me/quota', '/api/v1/models']) {
        const res = await t.api().get(path).set(auth);
        expect(res.status).toBe(200);
        check(res);
      }
      const updated = await t
        .api()
        .put('/api/v1/users/me')
        .set(auth)
        .send({ username: `${user.username}_x` });
      expect(updated.status).toBe(200);
      check(updated);
      const refused = await t.api().put('/api/v1/users/me').set(auth).send({ is_vip: true });
      expect(refused.status).toBe(422);
      check(refused);

      const created = await t
        .api()
        .post('/api/v1/conversations')
        .set(auth)
        .send({ title: 'Documented', system_message: 'Be brief.' });
      expect(created.status).toBe(201);
      check(created);
      const id = created.body.data.id as string;

      fake.script({ text: 'A documented reply.' });
      const sent = await t
        .api()
        .post(`/api/v1/conversations/${id}/messages`)
        .set(auth)
        .send({ content: 'Hello', temperature: 0.5 });
      expect(sent.status).toBe(201);
      check(sent);

      const list = await t.api().get('/api/v1/conversations?page=1&size=5').set(auth);
      expect(list.status).toBe(200);
      expect(list.body.data.conversations[0].last_message).not.toBeNull();
      check(list);
      const detail = await t.api().get(`/api/v1/conversations/${id}`).set(auth);
      expect(detail.status).toBe(200);
      expect(detail.body.data.messages).toHaveLength(2);
      check(detail);
      const messages = await t
        .api()
        .get(`/api/v1/conversations/${id}/messages?order=asc`)
        .set(auth);
      expect(messages.status).toBe(200);
      check(messages);
      const edited = await t
        .api()
        .put(`/api/v1/messages/${sent.body.data.user_message.id as string}`)
        .set(auth)
        .send({ content: 'Hello again' });
      expect(edited.status).toBe(200);
      check(edited);
      const stopped = await t
        .api()
        .post(`/api/v1/messages/${sent.body.data.assistant_message.id as string}/stop`)
        .set(auth);
      expect(stopped.status).toBe(200);
      check(stopped);
      const renamed = await t
        .api()
        .put(`/api/v1/conversations/${id}`)
        .set(auth)
        .send({ title: 'Renamed', is_archived: false });
      expect(renamed.status).toBe(200);
      check(renamed);
      for (const action of ['archive', 'unarchive']) {
        const res = await t.api().post(`/api/v1/conversations/${id}/${action}`).set(auth);
        expect(res.status).toBe(200);
        check(res);
      }

      const badQuery = await t.api().get('/api/v1/conversations?size=1000').set(auth);
      expect(badQuery.status).toBe(400);
      check(badQuery);
      const badId = await t.api().get('/api/v1/conversations/not-a-uuid').set(auth);
      expect(badId.status).toBe(400);
      check(badId);
      const unknown = await t.api().get(`/api/v1/conversations/${randomUUID()}`).set(auth);
      expect(unknown.status).toBe(404);
      check(unknown);
      const other = await registerUser(t);
      const foreign = await t
        .api()
        .delete(`/api/v1/conversations/${id}`)
        .set(bearer(other.accessToken));
      expect(foreign.status).toBe(404);
      check(foreign);
      const deleted = await t.api().delete(`/api/v1/conversations/${id}`).set(auth);
      expect(deleted.status).toBe(200);
      check(deleted);
    });

    it('for the system routes', async () => {
      for (const path of [
        '/api/v1/health',
        '/api/v1/health/live',
        '/api/v1/health/ready',
        '/api/v1/info',
      ]) {
        const res = await t.api().get(path);
        expect(res.status).toBe(200);
        check(res);
      }
    });

    it('for provider failures, quotas and rate limits when sending', async () => {
      const sender = await registerUser(t);
      const auth = bearer(sender.accessToken);
      const conversation = await aConversation(t, sender);
      const url = `/api/v1/conversations/${conversation.id}/messages`;

      fake.script({ status: 500 });
      const upstream = await t.api().post(url).set(auth).send({ content: 'fails upstream' });
      expect(upstream.status).toBe(502);
      check(upstream);

      await setQuotaCounters(t, sender.id, { dayRequests: 1_000_000 });
      const quota = await t.api().post(url).set(auth).send({ content: 'over quota' });
      expect(quota.status).toBe(429);
      expect(quota.body.error.code).toBe('QUOTA_EXCEEDED');
      check(quota);

      await setQuotaCounters(t, sender.id, {});
      await t.api().post(url).set(auth).send({ content: 'third of three' });
      const limited = await t.api().post(url).set(auth).send({ content: 'one too many' });
      expect(limited.status).toBe(429);
      expect(limited.body.error.code).toBe('RATE_LIMIT_EXCEEDED');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      check(limited);
    });
  });
});

describe('API_DOCS_ENABLED=false', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootApp({ API_DOCS_ENABLED: 'false' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers the docs paths with the JSON 404 and serves the API as before', async () => {
    for (const path of ['/api/docs', '/api/docs-json', '/api/docs/swagger-ui-bundle.js']) {
      const res = await t.api().get(path);
      expect({ path, status: res.status, code: res.body?.error?.code }).toEqual({
        path,
        status: 404,
        code: 'RESOURCE_NOT_FOUND',
      });
    }
    await t.api().get('/api/v1/health/live').expect(200);
  });
});

/** A request DTO class reached from a controller parameter. */
type DtoClass = (new () => object) & { name: string };

/** Body and query DTO classes of every route, read from the controllers' parameter types. */
function requestDtos(t: TestApp): DtoClass[] {
  const container = (
    t.app as unknown as {
      container: {
        getModules(): Map<string, { controllers: Map<unknown, { metatype: unknown }> }>;
      };
    }
  ).container;
  const out = new Set<DtoClass>();
  for (const module of container.getModules().values()) {
    for (const { metatype } of module.controllers.values()) {
      const proto = (metatype as { prototype: object }).prototype;
      for (const name of Object.getOwnPropertyNames(proto)) {
        const types = (Reflect.getMetadata('design:paramtypes', proto, name) ?? []) as unknown[];
        for (const type of types) {
          if (typeof type !== 'function') continue;
          const hasDocs = Reflect.getMetadata(
            SWAGGER_PROPERTIES,
            (type as { prototype: object }).prototype,
          );
          const hasRules =
            getMetadataStorage().getTargetValidationMetadatas(type, '', true, false).length > 0;
          if (hasDocs || hasRules) out.add(type as DtoClass);
        }
      }
    }
  }
  return [...out];
}

/** A query DTO is spread into an operation's query parameters: the one with exactly its names. */
function queryParametersOf(doc: Json, names: string[]): Json[] | undefined {
  const wanted = [...names].sort().join(',');
  for (const item of Object.values(doc.paths as Json)) {
    for (const method of METHODS) {
      const params = ((item[method]?.parameters ?? []) as Json[]).filter((p) => p.in === 'query');
      if (
        params.length > 0 &&
        params
          .map((p) => p.name as string)
          .sort()
          .join(',') === wanted
      ) {
        return params;
      }
    }
  }
  return undefined;
}

/** What class-validator enforces on each property, in the terms the document uses. */
function validationRules(dto: DtoClass): Map<string, Json> {
  const metas = getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false);
  // A property with a default (page = 1) may be left out, like an @IsOptional() one.
  const defaults = new dto() as Record<string, unknown>;
  const rules = new Map<string, Json>();
  const rule = (p: string) => {
    if (!rules.has(p)) rules.set(p, { required: defaults[p] === undefined });
    return rules.get(p)!;
  };
  for (const m of metas) {
    const r = rule(m.propertyName);
    const name = m.name ?? m.type;
    const c = (m.constraints ?? []) as unknown[];
    if (m.type === 'conditionalValidation') r.required = false;
    else if (name === 'isLength') [r.minLength, r.maxLength] = c as number[];
    else if (name === 'minLength') r.minLength = c[0];
    else if (name === 'maxLength') r.maxLength = c[0];
    else if (name === 'min') r.minimum = c[0];
    else if (name === 'max') r.maximum = c[0];
    else if (name === 'isIn') r.enum = c[0];
    else if (name === 'isEmail') r.email = true;
    else if (name === 'isInt') r.type = 'integer';
    else if (name === 'isNumber') r.type = 'number';
    else if (name === 'isBoolean') r.type = 'boolean';
    else if (name === 'isString') r.type = 'string';
    else if (name === 'isArray') r.type = 'array';
    else if (name === 'arrayMaxSize') r.maxItems = c[0];
    else if (name === 'arrayUnique') r.uniqueItems = true;
  }
  // The order of keys the comparison above uses.
  return new Map(
    [...rules].map(([p, r]) => [
      p,
      {
        minLength: r.minLength,
        maxLength: r.maxLength,
        minimum: r.minimum,
        maximum: r.maximum,
        enum: r.enum,
        email: r.email === true,
        type: r.type ?? (r.enum ? 'string' : undefined),
        maxItems: r.maxItems,
        uniqueItems: r.uniqueItems,
        required: r.required,
      },
    ]),
  );
}
