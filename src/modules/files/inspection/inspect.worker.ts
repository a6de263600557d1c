import { isMainThread } from 'node:worker_threads';
import type { InspectLimits, Inspection } from './file-inspection';
import { inspectBytes } from './inspect-bytes';

/** What FileInspector posts to a worker: the bytes travel as a Uint8Array. */
export interface InspectTask {
  bytes: Uint8Array;
  filename: string;
  limits: InspectLimits;
}

/** The piscina handler (the module's default export). */
export default async function inspectInWorker(task: InspectTask): Promise<Inspection> {
  const bytes = Buffer.from(task.bytes.buffer, task.bytes.byteOffset, task.bytes.byteLength);
  // The answer is cloned back: the model's copy of an image (small: at most 2048×768 pixels,
  // encoded) arrives as a Uint8Array, which FileInspector makes a Buffer again.
  return inspectBytes(bytes, task.filename, task.limits);
}

/**
 * Test hooks, reached by name (FileInspector's private runInWorker): a task that never ends,
 * as a parser stuck in a loop would, and one that fills the heap. Refused on the main thread.
 */
export function spinForever(): never {
  if (isMainThread) throw new Error('spinForever runs in a worker only');
  for (;;) {
    // Busy: only the worker's termination ends this.
  }
}

export function fillHeap(): number {
  if (isMainThread) throw new Error('fillHeap runs in a worker only');
  const hoard: number[][] = [];
  for (;;) hoard.push(new Array<number>(1_000_000).fill(hoard.length));
}
