import { Logger } from '@nestjs/common';
import type { PGlite } from '@electric-sql/pglite';
import type { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * PostgreSQL for development without setup: PGlite (PostgreSQL compiled to WASM) keeps its
 * data in DATA_DIR/pglite and is served on a loopback port by pglite-socket, so the normal
 * `pg` driver, migrations and code run unchanged. PGlite takes no lock of its own, so a
 * lockfile keeps a second process out; it serves ONE connection (more interleave transactions).
 */
export class EmbeddedPostgres {
  private readonly logger = new Logger(EmbeddedPostgres.name);
  private db?: PGlite;
  private server?: PGLiteSocketServer;
  private lockPath?: string;

  constructor(private readonly dataDir: string) {}

  get directory(): string {
    return join(resolve(this.dataDir), 'pglite');
  }

  /** Starts the database and returns a connection URL for `pg`. */
  async start(): Promise<string> {
    const dir = this.directory;
    mkdirSync(dir, { recursive: true });
    this.acquireLock(`${dir}.lock`);
    try {
      const { PGlite } = await import('@electric-sql/pglite');
      const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
      const { pg_trgm } = await import('@electric-sql/pglite/contrib/pg_trgm');
      // The same extensions the migrations create on PostgreSQL.
      this.db = await PGlite.create(dir, { extensions: { pg_trgm } });
      this.server = new PGLiteSocketServer({
        db: this.db,
        host: '127.0.0.1',
        port: 0,
        maxConnections: 1,
      });
      await this.server.start();
    } catch (error) {
      await this.stop();
      throw error;
    }
    return `postgres://postgres@${this.server.getServerConn()}/postgres`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    const db = this.db;
    this.server = undefined;
    this.db = undefined;
    try {
      await server?.stop();
      await db?.close();
    } catch (error) {
      this.logger.warn(`embedded database did not close cleanly: ${String(error)}`);
    } finally {
      this.releaseLock();
    }
  }

  private acquireLock(path: string): void {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(path, 'wx', 0o600);
        writeSync(fd, String(process.pid));
        closeSync(fd);
        this.lockPath = path;
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const holder = Number(readFileSync(path, 'utf8').trim());
        if (Number.isInteger(holder) && holder > 0 && processAlive(holder)) {
          throw new Error(
            `The embedded database in ${this.directory} is in use by process ${holder}. ` +
              'Stop it, or set DATABASE_URL / DATA_DIR to use another database.',
            { cause: error },
          );
        }
        // The holder is gone (killed or crashed): the lock is stale.
        rmSync(path, { force: true });
      }
    }
    throw new Error(`Could not lock ${path}`);
  }

  private releaseLock(): void {
    if (this.lockPath) rmSync(this.lockPath, { force: true });
    this.lockPath = undefined;
  }
}
