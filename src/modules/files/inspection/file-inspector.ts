import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Piscina } from 'piscina';
import type { InspectLimits, Inspection } from './file-inspection';
import { UNREADABLE } from './file-inspection';
import type { InspectTask } from './inspect.worker';

/** Every worker is busy and the queue is full: the caller answers 503. */
export class InspectorBusyError extends Error {
  constructor() {
    super('Every file inspection worker is busy and the queue is full');
    this.name = InspectorBusyError.name;
  }
}

export interface InspectOptions {
  /**
   * Hand the bytes' memory to the worker instead of copying it: `bytes` is unusable afterwards
   * (its ArrayBuffer is detached). Done only when `bytes` owns its whole ArrayBuffer (not a
   * slice of Node's pool or of a larger buffer); otherwise the bytes are copied once.
   */
  transfer?: boolean;
}

/**
 * Where the worker's code is, and how Node loads it:
 * - compiled (dist/, this module is a .js file): inspect.worker.js beside it, plain Node;
 * - from sources (Jest, ts-node): this module is a .ts file and so is the worker, and a worker
 *   thread starts as plain Node, outside Jest's or ts-node's module system. It is given
 *   ts-node's transpile-only require hook (--require in its execArgv; piscina loads the worker
 *   with require() first) and the project's tsconfig. ts-node is a devDependency: only source
 *   runs need it. The ESM packages the worker uses are loaded with a real import() there
 *   (esm.ts), which Jest could not do in its own thread.
 */
function workerOptions(): { filename: string; execArgv?: string[]; env?: NodeJS.ProcessEnv } {
  const compiled = join(__dirname, 'inspect.worker.js');
  if (__filename.endsWith('.js') && existsSync(compiled)) return { filename: compiled };
  return {
    filename: join(__dirname, 'inspect.worker.ts'),
    execArgv: ['--require', require.resolve('ts-node/register/transpile-only')],
    env: { ...process.env, TS_NODE_PROJECT: resolve(__dirname, '../../../../tsconfig.json') },
  };
}

/**
 * Inspects uploaded files in worker threads (piscina): at most `threads` at once, each bounded
 * in heap (`memoryMb`) and in time (`timeoutMs`, counted from when a worker takes the file); a
 * worker past either is killed and the file refused as unreadable. At most `maxQueue` files
 * wait for a worker; one more throws InspectorBusyError at once. Waiting is not timed here: the
 * caller's request bounds it.
 */
export class FileInspector {
  private readonly pool: Piscina<InspectTask | null, Inspection>;
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private closed = false;

  constructor(private readonly limits: InspectLimits) {
    this.pool = new Piscina<InspectTask | null, Inspection>({
      ...workerOptions(),
      // No worker until the first upload: a replica that never sees a file starts no thread
      // and loads none of the inspection modules.
      minThreads: 0,
      maxThreads: limits.threads,
      concurrentTasksPerWorker: 1,
      // piscina ends a worker above minThreads the moment it is idle (its default, 0): uploads
      // two at a time then start a worker (its modules: sharp, pdfjs, mammoth) for nearly
      // every file. Kept a while, a burst's workers serve the whole burst.
      idleTimeout: 30_000,
      resourceLimits: { maxOldGenerationSizeMb: limits.memoryMb },
    });
    // A worker that dies outside a task (say, out of memory while starting) is replaced by
    // piscina; unheard, its 'error' event would be thrown and end the process. A worker that
    // dies during a task fails that task, answered below.
    this.pool.on('error', () => undefined);
  }

  async inspect(
    bytes: Buffer,
    filename: string,
    options: InspectOptions = {},
  ): Promise<Inspection> {
    const owned =
      options.transfer === true &&
      bytes.buffer instanceof ArrayBuffer &&
      bytes.byteOffset === 0 &&
      bytes.byteLength === bytes.buffer.byteLength;
    // A view is cloned with its whole ArrayBuffer: a copy of just the bytes is sent instead,
    // and moved, so they are copied once.
    const own = owned ? new Uint8Array(bytes.buffer) : new Uint8Array(bytes);
    const task: InspectTask = { bytes: own, filename, limits: this.limits };
    const inspection = await this.runInWorker('default', task, [own.buffer]);
    if (inspection.ok && inspection.image) {
      const model: Uint8Array = inspection.image.model;
      inspection.image.model = Buffer.from(model.buffer, model.byteOffset, model.byteLength);
    }
    return inspection;
  }

  async close(): Promise<void> {
    this.closed = true;
    // Files still waiting go on, and fail at once on the destroyed pool.
    for (const next of this.waiting.splice(0)) next();
    await this.pool.destroy();
  }

  /** Runs an export of the worker module (by name: tests reach its hooks this way). */
  private async runInWorker(
    name: string,
    task: InspectTask | null,
    transferList: ArrayBuffer[] = [],
  ): Promise<Inspection> {
    if (this.closed) throw new Error('FileInspector is closed');
    await this.takeWorker();
    try {
      return await this.pool.run(task, {
        name,
        transferList,
        signal: AbortSignal.timeout(this.limits.timeoutMs),
      });
    } catch (error) {
      if (this.closed) throw error;
      // Timed out (the worker was terminated), out of memory, or the worker died.
      return UNREADABLE;
    } finally {
      this.releaseWorker();
    }
  }

  private takeWorker(): Promise<void> {
    if (this.running < this.limits.threads) {
      this.running++;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.limits.maxQueue) throw new InspectorBusyError();
    // The slot is handed over by releaseWorker, running unchanged.
    return new Promise((resolveTurn) => this.waiting.push(resolveTurn));
  }

  private releaseWorker(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }
}
