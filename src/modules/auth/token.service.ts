import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { AppConfig } from '../../config/app-config';

export interface AccessPayload {
  sub: string;
  sid: string;
  typ: 'access';
}

/** Signs access tokens; makes, hashes and seals opaque tokens (refresh, password reset). */
@Injectable()
export class TokenService {
  private readonly sealKey: Buffer;

  constructor(
    private readonly jwt: JwtService,
    private readonly config: AppConfig,
  ) {
    this.sealKey = createHash('sha256').update(`refresh-seal:${config.jwtSecret}`).digest();
  }

  signAccess(userId: string, sessionId: string): string {
    const payload: AccessPayload = { sub: userId, sid: sessionId, typ: 'access' };
    return this.jwt.sign(payload, { expiresIn: this.config.accessTtlSeconds, algorithm: 'HS256' });
  }

  /** 256 random bits, URL-safe. */
  newOpaqueToken(): string {
    return randomBytes(32).toString('base64url');
  }

  hashToken(token: string): string {
    return createHash('sha256').update(token).digest('hex');
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.sealKey, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [iv, cipher.getAuthTag(), body].map((b) => b.toString('base64url')).join('.');
  }

  unseal(sealed: string): string | null {
    try {
      const [iv, tag, body] = sealed.split('.').map((p) => Buffer.from(p, 'base64url'));
      const decipher = createDecipheriv('aes-256-gcm', this.sealKey, iv);
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    } catch {
      return null;
    }
  }
}
