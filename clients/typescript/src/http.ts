import { errorFromResponse } from './errors.ts';
import type { TokenKeeper } from './tokens.ts';
import type { paths } from './types.ts';

// ---------------------------------------------------------------------------------------------
// Types of a request, derived from openapi.json's `paths`: every route is callable by
// construction, with its path parameters, query, body and answer typed.

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The paths that have an operation for `M`, e.g. `Route<'DELETE'>`. */
export type Route<M extends HttpMethod> = {
  [P in keyof paths]: paths[P] extends { [K in Lowercase<M>]: { responses: unknown } } ? P : never;
}[keyof paths];

/** The operation of `M` on `P`. */
export type Operation<M extends HttpMethod, P extends Route<M>> = paths[P][Lowercase<M> &
  keyof paths[P]];

type ParametersOf<O> = O extends { parameters: infer X } ? X : object;
type PathParameters<O> = ParametersOf<O> extends { path: infer X } ? X : never;
type QueryParameters<O> = ParametersOf<O> extends { query?: infer X } ? X : never;
type BodyContent<C> = C extends { 'application/json': infer J }
  ? J
  : C extends { 'multipart/form-data': unknown }
    ? FormData
    : never;
type BodyOf<O> = O extends { requestBody?: { content: infer C } } ? BodyContent<C> : never;

/** What every request may carry beside its parameters. */
export interface RequestExtras {
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** The options of a request of operation `O`: `path` and `body` are required when it has them. */
export type RequestOptions<O> = RequestExtras &
  ([PathParameters<O>] extends [never] ? { path?: undefined } : { path: PathParameters<O> }) &
  ([QueryParameters<O>] extends [undefined]
    ? { query?: undefined }
    : { query?: QueryParameters<O> }) &
  ([BodyOf<O>] extends [never]
    ? { body?: undefined }
    : O extends { requestBody: unknown }
      ? { body: BodyOf<O> }
      : { body?: BodyOf<O> });

/** The options argument: optional when nothing in it is required. */
export type RequestArgs<O> =
  object extends RequestOptions<O> ? [options?: RequestOptions<O>] : [options: RequestOptions<O>];

type SuccessContent<O> = O extends { responses: infer R }
  ? {
      [K in keyof R]: K extends 200 | 201 | 202 | 204
        ? R[K] extends { content: infer C }
          ? C
          : never
        : never;
    }[keyof R]
  : never;
type JsonOf<C> = C extends { 'application/json': infer J } ? J : never;
type Unwrapped<J> = J extends { success: true; data: infer D } ? D : J;

/**
 * What a successful request of operation `O` resolves to: the envelope's `data`, or the body
 * of a route without the envelope (health, info). Routes that answer no JSON (file contents,
 * metrics) resolve to `unknown`: read them with `requestRaw`.
 */
export type Result<O> = [JsonOf<SuccessContent<O>>] extends [never]
  ? unknown
  : Unwrapped<JsonOf<SuccessContent<O>>>;

// ---------------------------------------------------------------------------------------------

/** `fetch` as the client calls it (the global one, or one given to `createClient`). */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** Routes that never take a token, and whose 401 means wrong credentials, not an old token. */
const CREDENTIAL_ROUTES = new Set([
  '/api/v1/auth/login',
  '/api/v1/auth/register',
  '/api/v1/auth/refresh',
  '/api/v1/auth/forgot-password',
  '/api/v1/auth/reset-password',
]);

export interface RawRequest {
  method: HttpMethod;
  /** A path template of openapi.json, e.g. `/api/v1/conversations/{id}`. */
  path: string;
  pathParams?: Record<string, string | number>;
  query?: Record<string, unknown>;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** Fills a path template: `{id}` ← `params.id`, percent-encoded. */
export function fillPath(template: string, params: Record<string, string | number> = {}): string {
  return template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new TypeError(`Missing path parameter "${name}" of ${template}`);
    return encodeURIComponent(String(value));
  });
}

export function queryString(query: Record<string, unknown> = {}): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    for (const item of Array.isArray(value) ? (value as unknown[]) : [value]) {
      search.append(key, String(item));
    }
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Sends requests with the client's credentials: the access token (refreshed once and the
 * request retried when it is refused as expired or revoked), or an API key.
 */
export class Transport {
  constructor(
    readonly baseUrl: string,
    private readonly fetchImpl: FetchLike,
    readonly tokens: TokenKeeper,
    private readonly apiKey: string | undefined,
    private readonly defaultHeaders: Record<string, string>,
  ) {}

  url(path: string): string {
    return `${this.baseUrl}${path}`;
  }

  /** The answer of a request that succeeded (any 2xx); an ApiError otherwise. */
  async send(request: RawRequest): Promise<Response> {
    const url = this.url(fillPath(request.path, request.pathParams)) + queryString(request.query);
    const headers: Record<string, string> = { ...this.defaultHeaders, ...request.headers };
    let body: RequestInit['body'];
    if (request.body instanceof FormData) {
      body = request.body;
    } else if (request.body !== undefined) {
      body = JSON.stringify(request.body);
      headers['content-type'] = 'application/json';
    }
    const credentialRoute = CREDENTIAL_ROUTES.has(request.path);
    const attempt = (token: string | undefined) =>
      this.fetchImpl(url, {
        method: request.method,
        headers: token ? { ...headers, authorization: `Bearer ${token}` } : headers,
        body,
        signal: request.signal,
      });

    if (this.apiKey !== undefined || credentialRoute) {
      const response = await attempt(credentialRoute ? undefined : this.apiKey);
      if (!response.ok) throw await errorFromResponse(response);
      return response;
    }
    const token = await this.tokens.accessToken();
    let response = await attempt(token);
    if (response.status === 401 && token !== undefined) {
      const error = await errorFromResponse(response);
      if (error.code !== 'AUTHENTICATION_ERROR') throw error;
      const renewed = await this.tokens.refresh(token);
      if (!renewed) throw error;
      response = await attempt(renewed.accessToken);
    }
    if (!response.ok) throw await errorFromResponse(response);
    return response;
  }

  /** `send`, then the answer's JSON, unwrapped from the envelope when it has one. */
  async json(request: RawRequest): Promise<unknown> {
    const response = await this.send(request);
    const text = await response.text();
    if (!text) return null;
    const body = JSON.parse(text) as unknown;
    return isObject(body) && body.success === true && 'data' in body ? body.data : body;
  }
}
