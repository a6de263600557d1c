import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BODY_EXAMPLE_NAME } from '../../src/common/openapi/decorators';
import { bearer, registerUser, RegisteredUser } from '../factories';
import { bootApp, TestApp } from '../support/app';
import { postFile } from '../support/files';
import { resolvePointer } from '../support/json-schema';
import { usePrivateDatabase } from '../support/private-database';
import { startSmtp, TestSmtp } from '../support/smtp';
import { openSse } from '../support/sse';

type Json = Record<string, any>;

/**
 * The API page (/api/docs) works on a first try: the one example Swagger UI puts in the editor
 * of each JSON request body is sent exactly as the served document holds it, to its route, by
 * the user the register example creates, in the order of a first visit, on a fresh database
 * with the default model catalog (answered by the offline model). Every one must succeed: a
 * documented 2xx, and a stream that ends with `end`.
 *
 * What no fixed example can hold is filled in as a reader of the page would: path ids from the
 * answers of earlier steps, and the fields `paste` names below (a token issued at run time,
 * which the example's text asks to paste). The admin route is sent by an admin. Nothing else of
 * an example is changed; a placeholder such as `model: "string"` fails here with its 422.
 */

const ROOT = join(__dirname, '../..');
const PUBLIC_URL = 'https://chat.example.com';
const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** Request bodies that are not JSON, so have no example to send, and why. */
const NOT_JSON: Record<string, string> = {
  files_upload: 'multipart/form-data: Swagger UI shows a file picker for its part `file`',
};

/** What the steps carry from one answer to the next. */
interface State {
  userId?: string;
  access?: string;
  refresh?: string;
  conversationId?: string;
  userMessageId?: string;
  assistantMessageId?: string;
  resetToken?: string;
}

interface Step {
  operationId: string;
  /** Who sends it: nobody (a public route), the example user (default) or an admin. */
  as?: 'public' | 'user' | 'admin';
  /** Path parameters: ids of what earlier steps created. */
  params?: (s: State) => Record<string, string | undefined>;
  /** Fields issued at run time that the example asks to paste; each must be in the example. */
  paste?: (s: State) => Json;
  /** What later steps need from the answer (`data` of the envelope) and the body sent. */
  keep?: (data: any, s: State, sent: Json) => void | Promise<void>;
}

const conversation = (s: State) => ({ id: s.conversationId });
const assistantMessage = (s: State) => ({ id: s.assistantMessageId });

/** Every JSON request body, in the order a first visit takes. */
function steps(smtp: () => TestSmtp): Step[] {
  return [
    {
      operationId: 'auth_register',
      as: 'public',
      keep: (data, s) => {
        s.userId = data.user.id;
        s.access = data.access_token;
      },
    },
    {
      operationId: 'auth_login',
      as: 'public',
      keep: (data, s) => {
        s.access = data.access_token;
        s.refresh = data.refresh_token;
      },
    },
    {
      operationId: 'auth_refresh',
      as: 'public',
      paste: (s) => ({ refresh_token: s.refresh }),
      keep: (data, s) => {
        s.access = data.access_token;
      },
    },
    {
      operationId: 'conversations_create',
      keep: (data, s) => {
        s.conversationId = data.id;
      },
    },
    { operationId: 'conversations_update', params: conversation },
    {
      operationId: 'generation_send',
      params: conversation,
      keep: (data, s) => {
        s.userMessageId = data.user_message.id;
        s.assistantMessageId = data.assistant_message.id;
      },
    },
    { operationId: 'generation_stream', params: conversation },
    { operationId: 'messages_update', params: (s) => ({ id: s.userMessageId }) },
    { operationId: 'generation_regenerate', params: assistantMessage },
    { operationId: 'generation_regenerateStream', params: assistantMessage },
    { operationId: 'apiKeys_create' },
    { operationId: 'openAiCompat_create' },
    { operationId: 'admin_update', as: 'admin', params: (s) => ({ id: s.userId }) },
    { operationId: 'users_update' },
    { operationId: 'password_changePassword' },
    { operationId: 'auth_logout' },
    {
      operationId: 'auth_forgotPassword',
      as: 'public',
      keep: async (_data, s, sent) => {
        const mail = await smtp().waitForMessage(String(sent.email));
        const link = new RegExp(`${PUBLIC_URL}/reset-password\\?token=\\S+`).exec(mail.text);
        if (!link) throw new Error(`no reset link in the mail:\n${mail.text}`);
        s.resetToken = new URL(link[0]).searchParams.get('token') ?? undefined;
      },
    },
    {
      operationId: 'auth_resetPassword',
      as: 'public',
      paste: (s) => ({ token: s.resetToken }),
    },
  ];
}

interface Operation {
  method: (typeof METHODS)[number];
  path: string;
  op: Json;
}

function operations(doc: Json): Map<string, Operation> {
  const out = new Map<string, Operation>();
  for (const [path, item] of Object.entries(doc.paths as Json)) {
    for (const method of METHODS) {
      const op = item[method] as Json | undefined;
      if (op) out.set(op.operationId as string, { method, path, op });
    }
  }
  return out;
}

/** The documented success statuses of an operation, and whether they answer only a stream. */
function successOf(op: Json): { statuses: number[]; streamOnly: boolean } {
  const statuses = Object.keys(op.responses as Json)
    .map(Number)
    .filter((status) => status >= 200 && status < 300);
  const types = statuses.flatMap((s) => Object.keys(op.responses[String(s)].content ?? {}));
  return {
    statuses,
    streamOnly: types.length > 0 && types.every((t) => t === 'text/event-stream'),
  };
}

describe('The example bodies of the API page', () => {
  const database = usePrivateDatabase();
  let smtp: TestSmtp;
  let t: TestApp;
  let served: Json;
  let admin: RegisteredUser;
  const state: State = {};

  beforeAll(async () => {
    smtp = await startSmtp();
    t = await bootApp({
      ...database.env(),
      OPENAI_API_KEY: undefined,
      OPENAI_BASE_URL: undefined,
      LLM_PROVIDER: 'offline',
      OFFLINE_TOKEN_DELAY_MS: '0',
      MODELS_FILE: undefined,
      MODELS_JSON: undefined,
      DEFAULT_MODEL: undefined,
      API_DOCS_ENABLED: undefined,
      SMTP_URL: smtp.url,
      PUBLIC_URL,
    });
    served = (await t.api().get('/api/docs-json').expect(200)).body as Json;
    admin = await registerUser(t);
    await t.sql(`UPDATE users SET role = 'admin' WHERE id = $1`, [admin.id]);
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  it('are one per JSON request body, and this suite sends every one of them', () => {
    const plan = steps(() => smtp).map((s) => s.operationId);
    const json: string[] = [];
    const other: string[] = [];
    for (const [id, { op }] of operations(served)) {
      const content = op.requestBody?.content as Json | undefined;
      if (!content) continue;
      if (!content['application/json']) {
        other.push(id);
        continue;
      }
      json.push(id);
      const examples = Object.keys((content['application/json'].examples ?? {}) as Json);
      expect({ id, examples }).toEqual({ id, examples: [BODY_EXAMPLE_NAME] });
    }
    expect(json.length).toBeGreaterThan(15);
    expect([...plan].sort()).toEqual(json.sort());
    expect(new Set(plan).size).toBe(plan.length);
    expect(other.sort()).toEqual(Object.keys(NOT_JSON).sort());
  });

  for (const step of steps(() => smtp)) {
    it(`${step.operationId}: its example succeeds as it stands`, async () => {
      const found = operations(served).get(step.operationId);
      if (!found) throw new Error(`${step.operationId} is not in the served document`);
      const { method, path, op } = found;
      const example = op.requestBody.content['application/json'].examples[BODY_EXAMPLE_NAME]
        .value as Json;
      const pasted = step.paste?.(state) ?? {};
      for (const [field, value] of Object.entries(pasted)) {
        expect({ field, inExample: field in example, issued: typeof value }).toEqual({
          field,
          inExample: true,
          issued: 'string',
        });
      }
      const body = { ...example, ...pasted };
      const params = step.params?.(state) ?? {};
      const url = path.replace(/\{(\w+)\}/g, (_, name: string) => {
        const value = params[name];
        if (!value) throw new Error(`${step.operationId}: no value for the path parameter ${name}`);
        return value;
      });
      const as = step.as ?? 'user';
      const headers: Record<string, string> =
        as === 'public' ? {} : bearer(as === 'admin' ? admin.accessToken : state.access!);
      const where = `${method.toUpperCase()} ${url} (${step.operationId}) with ${JSON.stringify(body)}`;
      const success = successOf(op);

      if (success.streamOnly) {
        const stream = await openSse(`${t.url}${url}`, { method: 'POST', headers, body });
        await stream.untilEnd();
        if (!success.statuses.includes(stream.status)) {
          throw new Error(`${where} answered ${stream.status}: ${stream.text}`);
        }
        const types = stream.events.map((e: Json) => e.type as string);
        expect({
          where,
          first: types[0],
          last: types.at(-1),
          error: types.includes('error'),
        }).toEqual({ where, first: 'start', last: 'end', error: false });
        return;
      }

      const res = await t.api()[method](url).set(headers).send(body);
      if (!success.statuses.includes(res.status)) {
        throw new Error(`${where} answered ${res.status}: ${JSON.stringify(res.body)}`);
      }
      // The whole answer, as the page shows it (a `stream: true` would turn it into a stream).
      expect({ where, type: String(res.headers['content-type']).split(';')[0] }).toEqual({
        where,
        type: 'application/json',
      });
      await step.keep?.(res.body.data, state, body);
    });
  }

  it(`POST /files (${NOT_JSON.files_upload}): its one documented part takes a file`, async () => {
    const op = operations(served).get('files_upload')!.op;
    const media = op.requestBody.content['multipart/form-data'] as Json;
    const schema = media.schema.$ref
      ? resolvePointer(served, media.schema.$ref as string)
      : media.schema;
    expect(schema.required).toEqual(['file']);
    expect(schema.properties.file).toMatchObject({ type: 'string', format: 'binary' });
    const uploader = await registerUser(t);
    const res = await postFile(
      t,
      uploader.accessToken,
      Buffer.from('Pack: passport, charger, walking shoes.\n'),
      'packing-list.txt',
      'text/plain',
    );
    expect({ status: res.status, kind: res.body.data?.kind }).toEqual({
      status: 201,
      kind: 'text',
    });
  });

  it('says where the stream and WebSocket documents are, and how to authorize', () => {
    const description = served.info.description as string;
    expect(description).toMatch(/\*\*Authorize\*\*/);
    for (const phrase of ['POST /api/v1/auth/register', 'POST /api/v1/auth/login', 'access_token'])
      expect(description).toContain(phrase);
    const files = [...description.matchAll(/\bdocs\/[\w.-]+\.(?:yaml|md)\b/g)].map((m) => m[0]);
    expect([...new Set(files)].sort()).toEqual(['docs/API.md', 'docs/asyncapi.yaml']);
    for (const file of files)
      expect({ file, exists: existsSync(join(ROOT, file)) }).toEqual({ file, exists: true });
    const apiMd = readFileSync(join(ROOT, 'docs/API.md'), 'utf8');
    for (const section of [...description.matchAll(/§(\d+)/g)].map((m) => m[1])) {
      expect({ section, heading: new RegExp(`^## ${section}\\. `, 'm').test(apiMd) }).toEqual({
        section,
        heading: true,
      });
    }
    expect(description).toMatch(/§5[\s\S]*§6/);
  });
});
