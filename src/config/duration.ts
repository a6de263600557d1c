const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/**
 * Parses a duration given as plain seconds ("1800") or with a unit ("30m", "7d").
 * Returns seconds, or null when the text is not a positive duration.
 */
export function parseDurationSeconds(text: string): number | null {
  const match = /^(\d+)\s*([smhd]?)$/.exec(text.trim());
  if (!match) return null;
  const value = Number(match[1]) * UNIT_SECONDS[match[2] || 's'];
  return Number.isSafeInteger(value) && value > 0 ? value : null;
}
