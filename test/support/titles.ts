import { AutoTitles, TITLE_PROMPT } from '../../src/modules/generation/auto-titles';
import type { TestApp } from './app';
import { until } from './expect';

/** A title call (AutoTitles), as a fake model sees it: the title prompt comes first. */
export function isTitleCall(body: Record<string, unknown>): boolean {
  const first = Array.isArray(body.messages) ? (body.messages[0] as unknown) : undefined;
  return (first as { content?: unknown } | undefined)?.content === TITLE_PROMPT;
}

/** Resolves once every automatic title the app began is over: stored and told, or given up. */
export function titlesSettled(t: TestApp, timeoutMs = 10_000): Promise<void> {
  const titles = t.app.get(AutoTitles);
  return until(() => titles.running === 0, timeoutMs, 'the automatic titles to settle');
}

/**
 * For suites that script the fake model or count its calls and are not about titles: an
 * automatic title is one more call to the fake on each first send, racing the reply for the
 * scripted answers (and for the counts). Titles have their own suite (auto-titles.e2e-spec.ts).
 */
export const TITLES_OFF = { AUTO_TITLE: 'false' } as const;
