import { Injectable } from '@nestjs/common';
import { LlmProviders } from '../llm/llm.module';
import { OpenAiProvider } from '../llm/openai.provider';

/** One catalog provider as /health reports it. */
export interface ProviderHealthReport {
  /** `unhealthy`: its model list did not answer (down, refused, an error status, too slow). */
  status: 'healthy' | 'unhealthy';
  latency_ms: number;
  /** Why it is unhealthy (connection_error, request_timeout, upstream_error). */
  reason?: string;
  upstream_status?: number;
  /** Catalog upstream model names its list does not have (sends to them would fail). */
  missing_models: string[];
}

/** A provider's list is asked for at most this often: /health is not an upstream call each time. */
export const PROVIDER_CHECK_TTL_MS = 15_000;
/** Each provider's list answers within this, or the provider counts as down. */
export const PROVIDER_CHECK_TIMEOUT_MS = 1000;

/**
 * The health of each provider the catalog lists (API.md §13): its `/models` list, bounded and
 * cached per provider, compared with the upstream names of the catalog models it serves. Only a
 * catalog that lists providers has entries; the env's one provider stays `services.openai`.
 */
@Injectable()
export class ProviderHealth {
  private readonly cache = new Map<string, { at: number; report: ProviderHealthReport }>();
  private inFlight?: Promise<Record<string, ProviderHealthReport>>;

  constructor(private readonly providers: LlmProviders) {}

  /** True when the catalog lists providers (then /health has one entry per provider). */
  get listed(): boolean {
    return this.providers.setup.source === 'catalog';
  }

  async reports(): Promise<Record<string, ProviderHealthReport>> {
    if (!this.listed) return {};
    this.inFlight ??= this.checkAll().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async checkAll(): Promise<Record<string, ProviderHealthReport>> {
    const entries = await Promise.all(
      this.providers.setup.providers.map(async (p) => [p.id, await this.check(p.id)] as const),
    );
    return Object.fromEntries(entries);
  }

  private async check(id: string): Promise<ProviderHealthReport> {
    const cached = this.cache.get(id);
    if (cached && Date.now() - cached.at < PROVIDER_CHECK_TTL_MS) return cached.report;
    const provider = this.providers.byId.get(id);
    let report: ProviderHealthReport;
    if (!(provider instanceof OpenAiProvider)) {
      // The offline model runs in this process: nothing to reach, every name answered.
      report = { status: 'healthy', latency_ms: 0, missing_models: [] };
    } else {
      const listed = await provider.listModels({ timeoutMs: PROVIDER_CHECK_TIMEOUT_MS });
      const wanted = [...this.providers.setup.routes.values()]
        .filter((r) => r.provider === id)
        .map((r) => r.upstream_model);
      const known = new Set(listed.models ?? []);
      report = {
        status: listed.ok ? 'healthy' : 'unhealthy',
        latency_ms: listed.latencyMs,
        ...(listed.reason !== undefined ? { reason: listed.reason } : {}),
        ...(listed.upstreamStatus !== undefined ? { upstream_status: listed.upstreamStatus } : {}),
        // Unknown while it is down: nothing is reported missing then.
        missing_models: listed.ok ? [...new Set(wanted)].filter((m) => !known.has(m)) : [],
      };
    }
    this.cache.set(id, { at: Date.now(), report });
    return report;
  }
}
