import type { SessionSummary } from '../sessions.repository';

export interface SessionResponse {
  id: string;
  user_agent: string | null;
  ip: string | null;
  created_at: string;
  last_used_at: string;
  current: boolean;
}

export interface SessionListResponse {
  sessions: SessionResponse[];
}

export function toSessionResponse(session: SessionSummary, currentId: string): SessionResponse {
  return {
    id: session.id,
    user_agent: session.userAgent,
    ip: session.ip,
    created_at: session.createdAt.toISOString(),
    last_used_at: session.lastUsedAt.toISOString(),
    current: session.id === currentId,
  };
}
