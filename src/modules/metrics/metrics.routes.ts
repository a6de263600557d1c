/** Served at /metrics (outside the API prefix, where scrapers look) and under the prefix. */
export const METRICS_PATH = 'metrics';

/** Both routes of the scrape endpoint, as declared; each is excluded from the global prefix. */
export function metricsRoutePaths(apiPrefix: string): string[] {
  return [METRICS_PATH, `${apiPrefix}/${METRICS_PATH}`];
}
