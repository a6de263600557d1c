import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { AppConfig } from '../../config/app-config';
import { parseDurationSeconds } from '../../config/duration';
import { MetricsService } from '../metrics/metrics.service';
import { FilesRepository } from './files.repository';
import { FilesService } from './files.service';
import { FILE_STORAGE, FileStorage, StoredObject } from './storage/file-storage';

/** The file id of an object key `<user id>/<file id>`; null for anything else (a temp file). */
function fileIdOf(key: string): string | null {
  const match = /^[0-9a-f-]{36}\/([0-9a-f-]{36})$/i.exec(key);
  return match ? match[1].toLowerCase() : null;
}

const JOB = 'files.sweep';
const BATCH = 500;

/**
 * Deletes what no one will ask for again (API.md §10's lifecycle): uploads never attached to a
 * message once FILE_UNATTACHED_TTL has passed, and stored bytes without a row (a crash between
 * writing the bytes and the row, a failed delete of the bytes) once FILE_ORPHAN_AGE has passed
 * — the age keeps it from deleting an upload whose row is being written. One replica at a time
 * runs it: a job lease in the database names who does, so replicas neither race nor repeat it.
 */
@Injectable()
export class FilesSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(FilesSweeper.name);
  private readonly holder = `${hostname().slice(0, 32)}-${process.pid}-${randomBytes(6).toString('hex')}`;
  private readonly intervalMs: number;
  private readonly unattachedMs: number;
  private readonly orphanMs: number;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly files: FilesRepository,
    private readonly service: FilesService,
    @Inject(FILE_STORAGE) private readonly storage: FileStorage,
    private readonly metrics: MetricsService,
    config: AppConfig,
  ) {
    const ms = (text: string) => (parseDurationSeconds(text) ?? 0) * 1000;
    this.intervalMs = Math.max(1000, ms(config.env.FILE_SWEEP_INTERVAL));
    this.unattachedMs = ms(config.env.FILE_UNATTACHED_TTL);
    this.orphanMs = ms(config.env.FILE_ORPHAN_AGE);
  }

  onApplicationBootstrap(): void {
    this.schedule(this.intervalMs * Math.random());
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    // A lease kept by a replica that is gone would stop every other one sweeping for two intervals.
    try {
      await this.files.releaseJobLease(JOB, this.holder);
    } catch (error) {
      this.logger.warn(`file sweep lease not released: ${String(error)}`);
    }
  }

  /** One sweep now, if this process gets the job lease; what it deleted. */
  async sweep(): Promise<{ unattached: number; orphanedBytes: number } | null> {
    if (!(await this.files.takeJobLease(JOB, this.holder, this.intervalMs * 2))) return null;
    const unattached = await this.sweepUnattached();
    const orphanedBytes = await this.sweepOrphanedBytes();
    this.metrics.filesSweptAway('unattached', unattached);
    this.metrics.filesSweptAway('orphaned_bytes', orphanedBytes);
    return { unattached, orphanedBytes };
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.sweep()
        .then(() => undefined)
        .catch((error: unknown) => this.logger.warn(`file sweep failed: ${String(error)}`))
        .finally(() => {
          this.running = undefined;
          this.schedule(this.intervalMs * (0.9 + 0.2 * Math.random()));
        });
    }, delayMs);
    this.timer.unref();
  }

  private async sweepUnattached(): Promise<number> {
    const before = new Date(Date.now() - this.unattachedMs);
    let total = 0;
    for (;;) {
      const removed = await this.files.deleteUnattached(before, BATCH);
      await this.service.removeBytes(removed);
      total += removed.length;
      if (removed.length < BATCH || this.stopped) return total;
    }
  }

  /** Bytes older than FILE_ORPHAN_AGE whose file row does not exist. */
  private async sweepOrphanedBytes(): Promise<number> {
    const before = Date.now() - this.orphanMs;
    let batch: StoredObject[] = [];
    let total = 0;
    const flush = async () => {
      const parsed = batch.map((o) => ({ object: o, fileId: fileIdOf(o.key) }));
      const ids = parsed.flatMap((p) => (p.fileId ? [p.fileId] : []));
      const existing = await this.files.existing(ids);
      const orphans = parsed.filter((p) => !p.fileId || !existing.has(p.fileId));
      for (const orphan of orphans) {
        try {
          await this.storage.delete(orphan.object.key);
          total++;
        } catch (error) {
          this.logger.warn(`orphaned bytes ${orphan.object.key} not removed: ${String(error)}`);
        }
      }
      batch = [];
    };
    for await (const object of this.storage.list()) {
      if (object.modifiedAt.getTime() >= before) continue;
      batch.push(object);
      if (batch.length >= BATCH) await flush();
      if (this.stopped) return total;
    }
    if (batch.length > 0) await flush();
    return total;
  }
}
