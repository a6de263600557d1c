import { Inject, Injectable } from '@nestjs/common';
import { TypeOrmHealthIndicator } from '@nestjs/terminus';
import type Redis from 'ioredis';
import { REDIS } from '../../redis/redis.module';
import { LLM_PROVIDER, LlmProvider } from '../llm/llm-provider';
import { ProviderHealth, ProviderHealthReport } from './provider-health';

export type ServiceState = 'healthy' | 'unhealthy' | 'not_configured';

/**
 * The dependencies. When the catalog lists providers, each has an entry `provider:<id>` too,
 * and `openai` sums them up (unhealthy when one is).
 */
export type HealthServices = {
  database: ServiceState;
  redis: ServiceState;
  openai: ServiceState;
} & Record<`provider:${string}`, ServiceState>;

export interface HealthReport {
  status: 'healthy' | 'degraded' | 'unhealthy';
  timestamp: string;
  version: string;
  services: HealthServices;
  /** Each catalog provider's check (only when the catalog lists providers). */
  providers?: Record<string, ProviderHealthReport>;
  llm_provider: string;
  uptime: number;
}

/** Each check answers within this, whatever the dependency does. */
export const CHECK_TIMEOUT_MS = 1000;
/** Results are reused this long, so health probes cost the dependencies little. */
const CACHE_MS = 5000;

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Bounded, cached checks of the database, Redis and the model provider. */
@Injectable()
export class HealthService {
  private cache?: { at: number; services: HealthReport['services'] };
  private inFlight?: Promise<HealthReport['services']>;
  private lastProviders?: Record<string, ProviderHealthReport>;

  constructor(
    private readonly db: TypeOrmHealthIndicator,
    @Inject(REDIS) private readonly redis: Redis | null,
    @Inject(LLM_PROVIDER) private readonly provider: LlmProvider,
    private readonly providerHealth: ProviderHealth,
  ) {}

  /** The catalog providers' reports of the last round of checks (undefined: none listed). */
  get providers(): Record<string, ProviderHealthReport> | undefined {
    return this.providerHealth.listed ? this.lastProviders : undefined;
  }

  get providerName(): string {
    return this.provider.name;
  }

  async databaseUp(): Promise<boolean> {
    try {
      const result = await this.db.pingCheck('database', { timeout: CHECK_TIMEOUT_MS });
      return result.database?.status === 'up';
    } catch {
      return false;
    }
  }

  async services(): Promise<HealthReport['services']> {
    if (this.cache && Date.now() - this.cache.at < CACHE_MS) return this.cache.services;
    // Concurrent probes share one round of checks.
    this.inFlight ??= this.runChecks().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async runChecks(): Promise<HealthReport['services']> {
    const [database, redis, openai, providers] = await Promise.all([
      this.databaseUp().then((up): ServiceState => (up ? 'healthy' : 'unhealthy')),
      this.checkRedis(),
      this.providerHealth.listed ? Promise.resolve<ServiceState>('healthy') : this.checkProvider(),
      this.providerHealth.reports(),
    ]);
    const services: HealthServices = { database, redis, openai };
    for (const [id, report] of Object.entries(providers)) {
      services[`provider:${id}`] = report.status;
      if (report.status === 'unhealthy') services.openai = 'unhealthy';
    }
    this.lastProviders = providers;
    this.cache = { at: Date.now(), services };
    return services;
  }

  private async checkRedis(): Promise<ServiceState> {
    if (!this.redis) return 'not_configured';
    // Not connected (refused, reconnecting): say so at once rather than wait on the offline queue.
    if (this.redis.status !== 'ready') return 'unhealthy';
    try {
      return (await withTimeout(this.redis.ping(), CHECK_TIMEOUT_MS)) === 'PONG'
        ? 'healthy'
        : 'unhealthy';
    } catch {
      return 'unhealthy';
    }
  }

  /** Lists models (spends no tokens); the offline development model has nothing to check. */
  private async checkProvider(): Promise<ServiceState> {
    if (this.provider.name === 'offline') return 'not_configured';
    try {
      const check = await withTimeout(
        this.provider.check({ timeoutMs: CHECK_TIMEOUT_MS }),
        CHECK_TIMEOUT_MS + 100,
      );
      return check.ok ? 'healthy' : 'unhealthy';
    } catch {
      return 'unhealthy';
    }
  }
}
