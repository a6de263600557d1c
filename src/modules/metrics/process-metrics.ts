import { Registry } from 'prom-client';

let registry: Registry | undefined;
let claimed = false;

/**
 * The process-wide registry of the default metrics (CPU, memory, event loop, GC, handles).
 * They describe the process, not one app, and collecting them installs observers that are never
 * removed: so they are collected once per process however many apps boot in it (tests).
 */
export function processMetricsRegistry(): Registry {
  registry ??= new Registry();
  return registry;
}

/** True for the first caller only: that one starts collecting the default metrics. */
export function claimDefaultMetricsCollection(): boolean {
  if (claimed) return false;
  claimed = true;
  return true;
}
