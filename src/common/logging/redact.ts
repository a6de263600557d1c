/**
 * What never reaches a log line: credentials in URLs (`?token=`, `?ticket=`, `access_token`…),
 * bearer tokens, JWTs and API keys in free text, and values of fields named like secrets at any depth.
 * Applied by the root logger to every line (see logger.ts), not left to each caller.
 */

export const REDACTED = '[REDACTED]';

/** Query parameters whose values are credentials. */
const SECRET_PARAMS = [
  'token',
  'ticket',
  'access_token',
  'refresh_token',
  'id_token',
  'reset_token',
  'password',
  'secret',
  'client_secret',
  'api_key',
  'apikey',
  'code',
];

const SECRET_PARAM = new RegExp(`([?&;](?:${SECRET_PARAMS.join('|')})=)[^&#\\s"'<>]*`, 'gi');
const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/-]+=*/gi;
const JWT = /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
/** API keys (`sk-` and base64url), wherever they appear. */
const API_KEY = /\bsk-[A-Za-z0-9_-]{16,}/g;
/** `"password": "…"` and the like inside serialized JSON that ended up in a message. */
const JSON_SECRET =
  /("[A-Za-z_-]*(?:password|passwd|token|secret|api_?key|ticket)"\s*:\s*)"(?:[^"\\]|\\.)*"/gi;

/** Field names whose values are secrets: `password`, `*_token`, `*secret`, `api_key`, their hashes… (not `*_tokens` counts). */
export function isSecretKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[^a-z0-9]/g, '');
  return (
    /(password|passwd|secret|token|apikey)(hash)?$/.test(k) ||
    k === 'authorization' ||
    k === 'proxyauthorization' ||
    k === 'cookie' ||
    k === 'setcookie' ||
    k === 'ticket'
  );
}

/** Free text with credentials replaced: URL parameters, bearer/basic credentials, JWTs, JSON secret fields. */
export function redactText(text: string): string {
  return text
    .replace(SECRET_PARAM, `$1${REDACTED}`)
    .replace(BEARER, `$1 ${REDACTED}`)
    .replace(JWT, REDACTED)
    .replace(API_KEY, REDACTED)
    .replace(JSON_SECRET, `$1"${REDACTED}"`);
}

/** A request URL fit for a log: credential parameters (WebSocket `?token=`, `?ticket=`…) redacted. */
export function sanitizeUrl(url: string | undefined): string {
  if (!url) return '';
  return redactText(url);
}

const MAX_DEPTH = 8;

/**
 * A copy of `value` with secret-named fields replaced and strings passed through redactText,
 * at any depth (up to a limit). Errors, dates and buffers are kept as they are (the error
 * serializer redacts errors); cycles end in '[Circular]'.
 */
export function redactDeep(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactText(value);
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Error || value instanceof Date || Buffer.isBuffer(value)) return value;
  if (seen.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[Truncated]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] =
      isSecretKey(key) && item !== undefined ? REDACTED : redactDeep(item, depth + 1, seen);
  }
  return out;
}
