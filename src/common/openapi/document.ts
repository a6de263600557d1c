import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, getSchemaPath, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { appVersion } from '../app-version';
import { REQUEST_ID_HEADER } from '../http/request-context';
import { BEARER_SCHEME, codesOfStatus, METRICS_SCHEME, withErrorCodes } from './decorators';
import { ErrorEnvelopeModel, FieldIssueModel } from './error-envelope.model';

/** Swagger UI; the JSON document is served at `${DOCS_PATH}-json` (outside the API prefix). */
export const DOCS_PATH = '/api/docs';
export const DOCS_JSON_PATH = `${DOCS_PATH}-json`;

/** True for the paths the docs are served under (UI, its assets, JSON and YAML). */
export function isDocsPath(path: string): boolean {
  return path === DOCS_PATH || path.startsWith(`${DOCS_PATH}/`) || path.startsWith(`${DOCS_PATH}-`);
}

const DESCRIPTION = [
  'REST API of the chat assistant (API.md). Every JSON answer is an envelope: success ' +
    '`{success: true, data, message, timestamp}`, error `{success: false, error: {code, message, details?}, timestamp}`; ' +
    '/health and /info answer without it.',
  'Access tokens go in `Authorization: Bearer <access_token>`; routes without a lock are public.',
  'Every answer carries `X-Request-Id` (echoed from the request when given). Rate-limited ' +
    'answers are 429 RATE_LIMIT_EXCEEDED with `Retry-After`.',
  '**Trying it here:** run POST /api/v1/auth/register (or POST /api/v1/auth/login) with its ' +
    'example body, copy `data.access_token` from the answer, press **Authorize** and paste it ' +
    '(without `Bearer `). Every example body then works as it stands, in the order of a first ' +
    'visit (register, login, create a conversation, send…); path ids come from earlier answers ' +
    '(e.g. `data.id` of POST /conversations), a token issued at run time (refresh, reset) is ' +
    'pasted where its example says so, and the admin routes need an admin account.',
  '**Streams and WebSocket:** this page shows a reply stream only once it has ended. The ' +
    'Server-Sent Events of …/messages/stream, …/regenerate/stream and ' +
    'GET …/messages/{messageId}/stream, and the frames of the WebSocket chat ' +
    "(`/api/v1/ws/chat`, which this page cannot open), are described in the repository's " +
    'docs/asyncapi.yaml (AsyncAPI 3), and in docs/API.md §5 (messages and replies) and §6 ' +
    '(WebSocket).',
].join('\n\n');

/** `AuthController` + `register` → `auth_register`: stable names for generated clients. */
function operationId(controllerKey: string, methodKey: string): string {
  const base = controllerKey.replace(/Controller$/, '');
  return `${base.charAt(0).toLowerCase()}${base.slice(1)}_${methodKey}`;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Object keys sorted at every level, so the document serialises the same way every time; the
 * value of a named example (`examples.<name>.value`) keeps the order it is written in, which is
 * the order the page shows it in (username, email, password, confirm_password).
 */
export function sortKeys<T>(value: T): T {
  type Place = 'any' | 'examples' | 'example';
  const sort = (v: Json, place: Place = 'any'): Json => {
    if (Array.isArray(v)) return v.map((item) => sort(item));
    if (v === null || typeof v !== 'object') return v;
    const out: { [key: string]: Json } = {};
    for (const key of Object.keys(v).sort()) {
      const inner = v[key];
      if (inner === undefined) continue;
      if (place === 'example' && key === 'value') out[key] = inner;
      else if (place === 'examples') out[key] = sort(inner, 'example');
      else out[key] = sort(inner, key === 'examples' ? 'examples' : 'any');
    }
    return out;
  };
  return sort(value as Json) as T;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head'] as const;

/** Headers every answer (success or error) carries. */
function addCommonHeaders(document: OpenAPIObject): void {
  document.components ??= {};
  document.components.headers = {
    ...document.components.headers,
    [REQUEST_ID_HEADER]: {
      description: 'The request id (echoed from the request when it is a sane token).',
      required: true,
      schema: { type: 'string' },
    },
  };
  for (const item of Object.values(document.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (!operation) continue;
      for (const response of Object.values(operation.responses)) {
        if (!response || '$ref' in response) continue;
        response.headers = {
          ...response.headers,
          [REQUEST_ID_HEADER]: { $ref: `#/components/headers/${REQUEST_ID_HEADER}` },
        };
      }
    }
  }
}

/**
 * The OpenAPI document of the running application: its real routes (with the global
 * prefix), the explicit decorators on controllers and DTOs, and the responses common to
 * every route. Keys are sorted so the output is stable.
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Chat Assistant API')
    .setDescription(DESCRIPTION)
    .setVersion(appVersion())
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description:
          'The access_token from register, login or refresh (30 minutes), or an API key ' +
          '(`sk-…`, POST /api-keys) on operations marked `x-accepts-api-keys: true` (elsewhere a ' +
          'key is refused with 403 AUTHORIZATION_ERROR).',
      },
      BEARER_SCHEME,
    )
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        description: 'METRICS_TOKEN, when the deployment sets one.',
      },
      METRICS_SCHEME,
    )
    .addGlobalResponse(
      withErrorCodes(
        {
          status: 500,
          description: `Unexpected failure; no internals in the body. Codes: ${codesOfStatus(500).join(', ')}.`,
          schema: { $ref: getSchemaPath(ErrorEnvelopeModel) },
        },
        codesOfStatus(500),
      ),
    )
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: operationId,
    extraModels: [ErrorEnvelopeModel, FieldIssueModel],
  });
  addCommonHeaders(document);
  return sortKeys(document);
}

/** Serves Swagger UI at /api/docs and the document at /api/docs-json (and -yaml). */
export function setupOpenApi(app: INestApplication): void {
  let document: OpenAPIObject | undefined;
  SwaggerModule.setup(DOCS_PATH.slice(1), app, () => (document ??= buildOpenApiDocument(app)), {
    customSiteTitle: 'Chat Assistant API',
    // No call to the public validator (helmet's CSP would block its badge anyway).
    swaggerOptions: { validatorUrl: null, persistAuthorization: true },
  });
}
