import type { UserRole } from '../users/user.entity';

/** The authenticated caller, as guards and services see it. */
export interface AuthUser {
  id: string;
  sessionId: string;
  username: string;
  role: UserRole;
  isVip: boolean;
}

/** Where the request came from, recorded on new sessions. */
export interface ClientInfo {
  ip?: string;
  userAgent?: string;
}
