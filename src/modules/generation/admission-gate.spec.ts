import { AppError } from '../../common/errors/app-error';
import { AdmissionGate, AdmissionObserver, ShedReason } from './admission-gate';

/** A piece of work that runs until the test lets it finish. */
function held() {
  let finish: () => void = () => undefined;
  const work = jest.fn(() => new Promise<void>((resolve) => (finish = resolve)));
  return { work, finish: () => finish() };
}

function observer() {
  const seen = { admitted: [] as number[], shed: [] as ShedReason[], depth: [] as number[] };
  const o: AdmissionObserver = {
    admitted: (s) => seen.admitted.push(s),
    shed: (r) => seen.shed.push(r),
    queueDepth: (d) => seen.depth.push(d),
  };
  return { o, seen };
}

const flush = () => new Promise((r) => setImmediate(r));

describe(AdmissionGate.name, () => {
  afterEach(() => jest.useRealTimers());

  describe('run', () => {
    it('runs up to `concurrency` at once and the rest in arrival order', async () => {
      const gate = new AdmissionGate({ concurrency: 2, depth: 10, maxWaitMs: 10_000 });
      const jobs = [held(), held(), held(), held()];
      const order: number[] = [];
      const runs = jobs.map((j, i) =>
        gate.run(async () => {
          order.push(i);
          await j.work();
        }),
      );
      await flush();
      expect(order).toEqual([0, 1]);
      expect(gate.load).toEqual({ active: 2, waiting: 2 });
      jobs[1].finish();
      await flush();
      expect(order).toEqual([0, 1, 2]);
      jobs[0].finish();
      jobs[2].finish();
      await flush();
      jobs[3].finish();
      await Promise.all(runs);
      expect(order).toEqual([0, 1, 2, 3]);
      expect(gate.load).toEqual({ active: 0, waiting: 0 });
    });

    it('refuses at once past the queue depth, with SERVICE_UNAVAILABLE and a retry hint, without running the work', async () => {
      const { o, seen } = observer();
      const gate = new AdmissionGate({ concurrency: 1, depth: 1, maxWaitMs: 10_000 }, o);
      const first = held();
      const running = gate.run(first.work);
      const queued = gate.run(() => Promise.resolve('queued'));
      const refused = jest.fn(() => Promise.resolve('never'));
      const error = await gate.run(refused).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({
        code: 'SERVICE_UNAVAILABLE',
        details: { reason: 'queue_full' },
      });
      const details = (error as AppError).details!;
      expect(details.retry_after_ms).toBeGreaterThanOrEqual(50);
      expect(details.retry_after).toBe(Math.ceil((details.retry_after_ms as number) / 1000));
      expect(refused).not.toHaveBeenCalled();
      expect(seen.shed).toEqual(['queue_full']);
      first.finish();
      await running;
      await expect(queued).resolves.toBe('queued');
    });

    it('refuses a start that waited longer than maxWaitMs, and runs it never', async () => {
      jest.useFakeTimers();
      const { o, seen } = observer();
      const gate = new AdmissionGate({ concurrency: 1, depth: 10, maxWaitMs: 500 }, o);
      const first = held();
      const running = gate.run(first.work);
      const late = jest.fn(() => Promise.resolve());
      const waiting = gate.run(late).catch((e: unknown) => e);
      jest.advanceTimersByTime(499);
      expect(gate.load.waiting).toBe(1);
      jest.advanceTimersByTime(1);
      expect(await waiting).toMatchObject({
        code: 'SERVICE_UNAVAILABLE',
        details: { reason: 'wait_timeout' },
      });
      expect(gate.load.waiting).toBe(0);
      first.finish();
      await running;
      expect(late).not.toHaveBeenCalled();
      expect(seen.shed).toEqual(['wait_timeout']);
    });

    it('frees its place when the work throws', async () => {
      const gate = new AdmissionGate({ concurrency: 1, depth: 0, maxWaitMs: 100 });
      await expect(gate.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
      await expect(gate.run(() => Promise.resolve(1))).resolves.toBe(1);
    });

    it('reports the wait of each admitted start and the queue depth', async () => {
      const { o, seen } = observer();
      const gate = new AdmissionGate({ concurrency: 1, depth: 5, maxWaitMs: 10_000 }, o);
      const first = held();
      const a = gate.run(first.work);
      const b = gate.run(() => Promise.resolve());
      await flush();
      expect(seen.depth.at(-1)).toBe(1);
      first.finish();
      await Promise.all([a, b]);
      expect(seen.admitted).toHaveLength(2);
      expect(seen.admitted[0]).toBe(0);
      expect(seen.admitted[1]).toBeGreaterThanOrEqual(0);
      expect(seen.depth.at(-1)).toBe(0);
    });
  });
});
