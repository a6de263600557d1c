import type { UserRole } from '../users/user.entity';

/** The authenticated caller, as guards and services see it. */
export interface AuthUser {
  id: string;
  /**
   * The session of the access token; for an API key the key's id (a key stands for a session
   * of its own: revoking it ends its sockets and streams through `session.revoked`).
   */
  sessionId: string;
  /** Set when the caller authenticated with an API key (its id; the key itself is never kept). */
  apiKeyId?: string;
  username: string;
  role: UserRole;
  isVip: boolean;
}

/** Where the request came from, recorded on new sessions. */
export interface ClientInfo {
  ip?: string;
  userAgent?: string;
}
