import { Injectable } from '@nestjs/common';
import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { AppConfig } from '../../config/app-config';

/** Every key starts so: tells a key from an access token (a JWT starts with `eyJ`). */
export const API_KEY_PREFIX = 'sk-';
/** Random bytes in a key (base64url: 43 characters after the prefix). */
export const API_KEY_BYTES = 32;
/** Characters of the key shown for recognition (`sk-` and 8 of the random part). */
export const API_KEY_SHOWN_CHARS = API_KEY_PREFIX.length + 8;

const KEY_SHAPE = /^sk-[A-Za-z0-9_-]{43}$/;

/** Whether a bearer credential is meant as an API key (then it is never tried as a JWT). */
export function isApiKeyToken(token: string): boolean {
  return token.startsWith(API_KEY_PREFIX);
}

/**
 * Makes keys and the hash stored for them. A key is 32 random bytes, so a fast keyed hash
 * (HMAC-SHA-256) is as strong as a slow one and costs microseconds per request. The HMAC key is
 * API_KEY_SECRET when set, else derived from JWT_SECRET (HKDF): then a new JWT_SECRET also ends
 * every API key, which a dedicated API_KEY_SECRET avoids.
 */
@Injectable()
export class ApiKeySecret {
  private readonly hmacKey: Buffer;

  constructor(config: AppConfig) {
    const secret = config.env.API_KEY_SECRET ?? config.jwtSecret;
    this.hmacKey = Buffer.from(
      hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.alloc(0), 'api-key-hash', 32),
    );
  }

  /** A new key, its hash and its shown prefix. */
  generate(): { key: string; hash: string; prefix: string } {
    const key = API_KEY_PREFIX + randomBytes(API_KEY_BYTES).toString('base64url');
    return { key, hash: this.hash(key), prefix: key.slice(0, API_KEY_SHOWN_CHARS) };
  }

  /** The stored hash of a key; null when the text cannot be one of ours (no lookup needed). */
  hashOf(token: string): string | null {
    return KEY_SHAPE.test(token) ? this.hash(token) : null;
  }

  private hash(key: string): string {
    return createHmac('sha256', this.hmacKey).update(key, 'utf8').digest('hex');
  }
}
