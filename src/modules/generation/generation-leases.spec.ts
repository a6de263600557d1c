import type { AppConfig } from '../../config/app-config';
import type { MetricsService } from '../metrics/metrics.service';
import type { GenerationEvent } from './generation-events';
import { GenerationLeases } from './generation-leases';
import type { GenerationLeasesRepository, OrphanLease } from './generation-leases.repository';
import type { GenerationRunners } from './generation-runner';
import type { ClosedReply, ReplyOutcome, SendRepository } from './send.repository';
import type { OrphanTail, StreamLog } from './stream-log';
import type { Settlement } from '../quota/quota.repository';

const ORPHAN: OrphanLease = {
  messageId: '00000000-0000-4000-8000-000000000001',
  userId: '00000000-0000-4000-8000-000000000002',
  day: '2026-12-07',
  month: '2026-12-01',
  granted: 1000,
  promptTokens: 40,
  content: 'checkpoint',
};

function setup(options: { shared: boolean; tail?: OrphanTail | null; closed?: boolean }) {
  const closes: { id: string; outcome: ReplyOutcome; settlement: Settlement }[] = [];
  const ended: GenerationEvent[] = [];
  const orphans: OrphanLease[] = [ORPHAN];
  const repo = {
    renew: jest.fn(() => Promise.resolve()),
    release: jest.fn(() => Promise.resolve()),
    checkpoint: jest.fn(() => Promise.resolve()),
    orphans: jest.fn(() => Promise.resolve(orphans.splice(0))),
  };
  const sends = {
    close: (id: string, outcome: ReplyOutcome, settlement: Settlement) => {
      closes.push({ id, outcome, settlement });
      return Promise.resolve<ClosedReply>({
        message: { id } as ClosedReply['message'],
        closed: options.closed ?? true,
      });
    },
  };
  const log: Partial<StreamLog> = {
    shared: options.shared,
    orphan: () => Promise.resolve(options.tail ?? null),
    endOrphan: (_id: string, event: GenerationEvent) => {
      ended.push(event);
      return Promise.resolve();
    },
  };
  const runners = {
    ids: () => ['running-here'],
    progress: () => [{ id: 'running-here', content: 'so far' }],
  };
  const metrics = { generationOrphaned: jest.fn() };
  const leases = new GenerationLeases(
    repo as unknown as GenerationLeasesRepository,
    runners as unknown as GenerationRunners,
    sends as unknown as SendRepository,
    log as StreamLog,
    metrics as unknown as MetricsService,
    { env: { GENERATION_LEASE_MS: 30_000 } } as AppConfig,
  );
  return { leases, repo, closes, ended, metrics };
}

describe(GenerationLeases.name, () => {
  describe('the tick at boot', () => {
    it('renews its own lease, checkpoints an unshared log and closes an orphan from its checkpoint', async () => {
      const { leases, repo, closes, ended } = setup({ shared: false });
      await leases.onApplicationBootstrap();
      await leases.stop();
      expect(repo.renew).toHaveBeenCalledWith(leases.owner, 30_000);
      expect(repo.checkpoint).toHaveBeenCalledWith([{ id: 'running-here', content: 'so far' }]);
      expect(repo.orphans).toHaveBeenCalledWith(leases.owner, ['running-here'], 30_000, 50);
      expect(closes).toHaveLength(1);
      const [{ outcome, settlement }] = closes;
      expect(outcome.status).toBe('failed');
      expect(outcome.content).toBe('checkpoint');
      // Billed what was produced: one request, the prompt and the text's tokens.
      expect(settlement.requests).toBe(1);
      expect(settlement.tokens).toBe(40 + (outcome.completionTokens ?? 0));
      expect(settlement.granted).toBe(1000);
      expect(ended).toHaveLength(0);
      expect(repo.release).toHaveBeenCalledWith(leases.owner);
    });
  });

  describe('closing an orphan of a shared log', () => {
    it('keeps the log text, ends the log after its last event, and does not checkpoint', async () => {
      const tail = { content: 'checkpoint and more', lastSeq: 7, ended: false };
      const { leases, repo, closes, ended, metrics } = setup({ shared: true, tail });
      await leases.onApplicationBootstrap();
      await leases.stop();
      expect(repo.checkpoint).not.toHaveBeenCalled();
      expect(closes[0].outcome.content).toBe('checkpoint and more');
      expect(ended).toEqual([
        {
          type: 'error',
          seq: 8,
          error: { code: 'OPENAI_API_ERROR', messageKey: 'error.generation_interrupted' },
        },
      ]);
      expect(metrics.generationOrphaned).toHaveBeenCalledTimes(1);
    });

    it('releases the whole reservation when nothing was produced', async () => {
      const { leases, closes } = setup({
        shared: true,
        tail: { content: '', lastSeq: 1, ended: false },
      });
      (ORPHAN as { content: string }).content = '';
      try {
        await leases.onApplicationBootstrap();
        await leases.stop();
      } finally {
        (ORPHAN as { content: string }).content = 'checkpoint';
      }
      expect(closes[0].settlement).toMatchObject({ requests: 0, tokens: 0, granted: 1000 });
      expect(closes[0].outcome).toMatchObject({ tokensUsed: 0, completionTokens: null });
    });

    it('leaves the log alone when another replica closed the reply first', async () => {
      const tail = { content: 'x', lastSeq: 3, ended: false };
      const { leases, ended, metrics } = setup({ shared: true, tail, closed: false });
      await leases.onApplicationBootstrap();
      await leases.stop();
      expect(ended).toHaveLength(0);
      expect(metrics.generationOrphaned).not.toHaveBeenCalled();
    });
  });

  describe('closeIfOrphaned', () => {
    it('answers false when the reply still has a live owner', async () => {
      const { leases, repo } = setup({ shared: false });
      repo.orphans.mockResolvedValueOnce([]);
      await expect(leases.closeIfOrphaned('some-id')).resolves.toBe(false);
      expect(repo.orphans).toHaveBeenCalledWith(
        leases.owner,
        ['running-here'],
        30_000,
        1,
        'some-id',
      );
    });
  });
});
