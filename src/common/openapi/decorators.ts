import { applyDecorators, type Type } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiExtraModels,
  ApiParam,
  ApiResponse,
  getSchemaPath,
  type ApiResponseSchemaHost,
} from '@nestjs/swagger';
import type {
  ReferenceObject,
  SchemaObject,
} from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { ERROR_CODES, type ErrorCode } from '../errors/error-codes';
import { ErrorEnvelopeModel } from './error-envelope.model';

/** The name of the bearer security scheme in the document. */
export const BEARER_SCHEME = 'bearer';
/** The scrape token of GET /metrics (only when METRICS_TOKEN is set). */
export const METRICS_SCHEME = 'metrics_token';

/** HTTP statuses a route can answer with the error envelope. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 413 | 415 | 422 | 429 | 500 | 502 | 503 | 504;

/** The codes each status carries on most routes (API.md §1 and the error filter). */
const DEFAULT_CODES: Record<ErrorStatus, ErrorCode[]> = {
  400: ['VALIDATION_ERROR'],
  401: ['AUTHENTICATION_ERROR'],
  403: ['AUTHORIZATION_ERROR'],
  404: ['RESOURCE_NOT_FOUND'],
  413: ['VALIDATION_ERROR'],
  415: ['VALIDATION_ERROR'],
  422: ['VALIDATION_ERROR'],
  429: ['RATE_LIMIT_EXCEEDED'],
  500: ['INTERNAL_SERVER_ERROR'],
  502: ['OPENAI_API_ERROR'],
  503: ['DATABASE_ERROR'],
  504: ['OPENAI_API_ERROR'],
};

const WHEN: Record<ErrorStatus, string> = {
  400: 'Malformed request: bad JSON, a body that is not an object, a bad UUID in the path or a bad query value.',
  401: 'Missing, invalid, expired or revoked access token, or wrong credentials.',
  403: 'The account is inactive, or the action is not allowed for this role.',
  404: 'Unknown id, or a resource of another user.',
  413: 'The request body is larger than the configured limit.',
  415: 'The body or file is of a type this route does not accept.',
  422: 'A well-formed body that breaks a rule (length, range, mismatch, duplicate, unknown model).',
  429: 'Too many requests in the window (`Retry-After` says when to retry), or a quota is used up (`details` names the limit and its reset).',
  500: 'Unexpected failure; no internals in the body.',
  502: 'The model provider failed.',
  503: 'The database is unreachable or failed, or the service is shutting down (`Retry-After`).',
  504: 'The model provider timed out.',
};

/** Headers of a 429 (and of a 503 while draining). */
const RETRY_HEADERS = {
  'Retry-After': {
    description: 'Seconds to wait before retrying (RATE_LIMIT_EXCEEDED, SERVICE_UNAVAILABLE).',
    schema: { type: 'integer' },
  },
  'RateLimit-Limit': {
    description: 'Requests allowed in the window of the budget that refused.',
    schema: { type: 'integer' },
  },
  'RateLimit-Remaining': {
    description: 'Requests left in that window.',
    schema: { type: 'integer' },
  },
  'RateLimit-Reset': {
    description: 'Seconds until that window resets.',
    schema: { type: 'integer' },
  },
};

/** One documented error status and the codes it carries on this route. */
export type ErrorResponseSpec = ErrorStatus | { status: ErrorStatus; codes: ErrorCode[] };

/** The codes of a status when a route names none: the default ones, checked against the contract. */
export function codesOfStatus(status: ErrorStatus): ErrorCode[] {
  return DEFAULT_CODES[status].filter((code) => (ERROR_CODES as readonly string[]).includes(code));
}

/** The machine-readable list of codes a documented error response can carry. */
export const ERROR_CODES_EXTENSION = 'x-error-codes';

/** An error response with its `x-error-codes` extension (copied into the document as is). */
export function withErrorCodes(
  response: ApiResponseSchemaHost,
  codes: ErrorCode[],
): ApiResponseSchemaHost {
  return Object.assign(response, { [ERROR_CODES_EXTENSION]: codes });
}

/** The success envelope around `data` (API.md §1). */
export function successEnvelopeSchema(data: SchemaObject | ReferenceObject): SchemaObject {
  return {
    type: 'object',
    required: ['success', 'data', 'message', 'timestamp'],
    properties: {
      success: { type: 'boolean', enum: [true] },
      data,
      message: { type: 'string', example: 'Operation succeeded' },
      timestamp: { type: 'string', format: 'date-time' },
    },
  };
}

export interface EnvelopedOptions {
  status?: 200 | 201;
  description?: string;
}

/**
 * A success answer whose `data` is `model` (a response class), wrapped in the success
 * envelope; `null` documents an action whose `data` is always null (logout, delete, archive).
 */
export function ApiEnvelopedResponse(
  model: Type<unknown> | null,
  options: EnvelopedOptions = {},
): MethodDecorator & ClassDecorator {
  const status = options.status ?? 200;
  const data: SchemaObject | ReferenceObject = model
    ? { $ref: getSchemaPath(model) }
    : { type: 'object', nullable: true, enum: [null], description: 'Always null.' };
  const decorators = [
    ApiResponse({
      status,
      description: options.description ?? (status === 201 ? 'Created.' : 'Succeeded.'),
      schema: successEnvelopeSchema(data),
    }),
  ];
  if (model) decorators.unshift(ApiExtraModels(model));
  return applyDecorators(...decorators);
}

/** A success answer without the envelope (health, info). */
export function ApiRawResponse(
  model: Type<unknown>,
  options: { status?: number; description?: string } = {},
): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(model),
    ApiResponse({
      status: options.status ?? 200,
      description: options.description ?? 'Succeeded (no envelope).',
      schema: { $ref: getSchemaPath(model) },
    }),
  );
}

/**
 * The error envelope for each status, with the codes it can carry on this route (listed in
 * the description and in `x-error-codes`). A method's entry replaces its class's for a status.
 */
export function ApiErrorResponses(...specs: ErrorResponseSpec[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ErrorEnvelopeModel),
    ...specs.map((spec) => {
      const status = typeof spec === 'number' ? spec : spec.status;
      const codes = typeof spec === 'number' ? codesOfStatus(status) : spec.codes;
      return ApiResponse(
        withErrorCodes(
          {
            status,
            description: `${WHEN[status]} Codes: ${codes.join(', ')}.`,
            schema: { $ref: getSchemaPath(ErrorEnvelopeModel) },
            ...(status === 429 || status === 503 ? { headers: RETRY_HEADERS } : {}),
          },
          codes,
        ),
      );
    }),
  );
}

/** Counted by a rate limit (API.md §8): 429 RATE_LIMIT_EXCEEDED with Retry-After and RateLimit-*. */
export function ApiRateLimited(): MethodDecorator & ClassDecorator {
  return ApiErrorResponses(429);
}

/**
 * The route needs a bearer access token: 401 without a valid one, 403 for an inactive account,
 * 503 when the session cannot be checked (database).
 */
export function ApiProtected(): MethodDecorator & ClassDecorator {
  return applyDecorators(ApiBearerAuth(BEARER_SCHEME), ApiErrorResponses(401, 403, 503));
}

/** A path parameter holding a UUID (a malformed one is 400). */
export function ApiUuidParam(name: string, description: string): MethodDecorator {
  return ApiParam({ name, description, schema: { type: 'string', format: 'uuid' } });
}

/** The name of the one example of each JSON request body (the page shows it in "Try it out"). */
export const BODY_EXAMPLE_NAME = 'try_it';

/** An example body: fields of the body's class only, with values of their types. */
export type BodyExample<T> = { [K in keyof T]?: T[K] };

/**
 * The JSON request body of a route, with the one example Swagger UI puts in its editor: a
 * request that succeeds as it stands for a newly registered user (after the register and login
 * examples). Only what no fixed text can hold is left to the reader (ids in the path, a token
 * issued at run time); test/e2e/openapi-examples.e2e-spec.ts sends every example to its route.
 */
export function ApiBodyExample<T>(
  type: Type<T>,
  summary: string,
  value: BodyExample<T>,
): MethodDecorator {
  return ApiBody({ type, required: true, examples: { [BODY_EXAMPLE_NAME]: { summary, value } } });
}

/** A body-taking route: bad JSON (400), too large (413), broken rules (422). */
export function ApiBodyErrors(): MethodDecorator & ClassDecorator {
  return ApiErrorResponses(400, 413, 422);
}

/** A Server-Sent Events answer (see docs/asyncapi.yaml for the events). */
export function ApiSseResponse(description: string): MethodDecorator {
  return ApiResponse({
    status: 200,
    description,
    content: {
      'text/event-stream': {
        schema: {
          type: 'string',
          description:
            'Events `id: <n>` + `data: <json>`: start, content…, then end or error; ' +
            "a conversation's automatic title as a `title` event when it is ready before end; " +
            '`: heartbeat` comments in between. Event schemas: docs/asyncapi.yaml.',
        },
      },
    },
  });
}
