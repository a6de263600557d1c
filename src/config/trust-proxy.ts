import { isIP } from 'node:net';

/** Names Express's `trust proxy` (proxy-addr) knows for ranges of addresses. */
const RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** What is passed to `app.set('trust proxy', …)`: nobody, a hop count, or addresses/ranges. */
export type TrustProxySetting = false | number | string[];

function isCidr(text: string): boolean {
  const [address, bits, ...rest] = text.split('/');
  if (rest.length > 0 || bits === undefined || !/^\d{1,3}$/.test(bits)) return false;
  const version = isIP(address);
  return version !== 0 && Number(bits) <= (version === 4 ? 32 : 128);
}

/**
 * Parses TRUST_PROXY. Empty (or `false`) trusts no proxy: X-Forwarded-For is ignored and the
 * client is the socket's peer. A number trusts that many hops; otherwise a comma-separated list
 * of `loopback`, `linklocal`, `uniquelocal`, IPs and CIDRs. `true` is refused on purpose: it
 * would believe any X-Forwarded-For a client makes up, so per-IP limits could be dodged at will.
 * Returns null when the text is not one of these.
 */
export function parseTrustProxy(raw: string | undefined): TrustProxySetting | null {
  const text = (raw ?? '').trim();
  if (text === '' || text.toLowerCase() === 'false') return false;
  if (/^\d{1,3}$/.test(text)) return Number(text) === 0 ? false : Number(text);
  const parts = text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  if (parts.length === 0) return null;
  const out: string[] = [];
  for (const part of parts) {
    const lower = part.toLowerCase();
    if (RANGE_NAMES.has(lower)) out.push(lower);
    else if (isIP(part) !== 0 || isCidr(part)) out.push(part);
    else return null;
  }
  return out;
}
