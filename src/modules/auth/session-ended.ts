import type { BusEvents, EventBus } from '../../redis/event-bus';

/** Whether a `session.revoked` message ends this session of this user. */
export function endsSession(
  event: BusEvents['session.revoked'],
  session: { userId: string; sessionId: string },
): boolean {
  if (event.userId !== session.userId) return false;
  return (
    event.sessionIds?.includes(session.sessionId) === true ||
    (event.allExcept !== undefined && event.allExcept !== session.sessionId)
  );
}

/**
 * A signal aborted when the session ends on any replica (logout, revoke, password change or
 * reset, deactivation: each publishes `session.revoked`), for a long-lived answer such as an SSE
 * stream that must not outlive its credentials. `stop()` unsubscribes.
 */
export function watchSessionEnd(
  bus: EventBus,
  session: { userId: string; sessionId: string },
): { signal: AbortSignal; stop: () => void } {
  const ended = new AbortController();
  const stop = bus.subscribe('session.revoked', (event) => {
    if (endsSession(event, session)) ended.abort();
  });
  return { signal: ended.signal, stop };
}
