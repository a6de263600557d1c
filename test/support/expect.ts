import type { Response } from 'supertest';

/** Assertions and small helpers shared by the e2e suites. */

export const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Every field an error names, in either shape of `details` (API.md §1). */
export function fieldsOf(res: Response): string[] {
  const details = (res.body?.error?.details ?? {}) as {
    field?: string;
    fields?: { field: string }[];
  };
  const out = new Set<string>();
  if (details.field) out.add(details.field);
  for (const f of details.fields ?? []) out.add(f.field);
  return [...out];
}

export function expectError(res: Response, status: number, code: string): void {
  expect(res.status).toBe(status);
  expect(res.body.success).toBe(false);
  expect(res.body.error.code).toBe(code);
}

/** Lets the clock move on, so a later write has a later (millisecond) timestamp. */
export const pause = (ms = 5) => new Promise((r) => setTimeout(r, ms));

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 10 ms until it holds; throws after `timeoutMs`. */
export async function until(
  check: () => Promise<boolean> | boolean,
  timeoutMs = 5000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** The next UTC midnight and first of next month, as ISO strings. */
export function utcResets(now = new Date()): { day: string; month: string } {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  const d = now.getUTCDate();
  return {
    day: new Date(Date.UTC(y, m, d + 1)).toISOString(),
    month: new Date(Date.UTC(y, m + 1, 1)).toISOString(),
  };
}
