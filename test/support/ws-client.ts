import WebSocket, { type ClientOptions, type RawData } from 'ws';

/** A JSON frame the server sent (API.md §6): `type` plus whatever the frame carries. */
export type WsFrame = Record<string, any> & { type: string };

export interface CloseInfo {
  code: number;
  reason: string;
}

export interface WsClientOptions extends ClientOptions {
  /** Offered in `Sec-WebSocket-Protocol` (e.g. `['bearer', token]`). */
  protocols?: string | string[];
}

const open = new Set<WsClient>();

/** ws://127.0.0.1:PORT/api/v1/ws/chat plus `query` (e.g. `?token=…`), from the app's http URL. */
export function chatWsUrl(httpUrl: string, query = ''): string {
  return `${httpUrl.replace(/^http/, 'ws')}/api/v1/ws/chat${query}`;
}

/**
 * A test client over the real `ws` package. It keeps every JSON frame it receives, counts the
 * server's pings, and records how the connection ended: the close code, or the HTTP status of
 * a refused upgrade (through the `unexpected-response` event, so no socket opens).
 */
export class WsClient {
  readonly ws: WebSocket;
  /** Every JSON frame received, in arrival order. */
  readonly frames: WsFrame[] = [];
  /** Frames that were not a JSON object, as text. */
  readonly invalid: string[] = [];
  /** WebSocket ping control frames received from the server. */
  pings = 0;
  /** The HTTP status of the answer to the upgrade, when it was not 101. */
  refusedStatus: number | undefined;
  /** Set once the connection has closed. */
  closeInfo: CloseInfo | undefined;
  /** Resolves on open; rejects when the connection ends before opening (refused upgrade…). */
  readonly opened: Promise<void>;
  /** Resolves when the connection is over, opened or not. */
  readonly closed: Promise<CloseInfo>;
  private readonly listeners = new Set<() => void>();

  constructor(url: string, options: WsClientOptions = {}) {
    const { protocols, ...rest } = options;
    this.ws =
      protocols === undefined ? new WebSocket(url, rest) : new WebSocket(url, protocols, rest);
    open.add(this);
    this.opened = new Promise<void>((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('close', (code: number) =>
        reject(
          new Error(
            `connection ended before opening (HTTP ${this.refusedStatus ?? 'none'}, close ${code})`,
          ),
        ),
      );
    });
    // Refusals are expected in tests: nobody need await `opened` for them to be handled.
    this.opened.catch(() => undefined);
    this.closed = new Promise<CloseInfo>((resolve) => {
      this.ws.once('close', (code: number, reason: Buffer) => {
        this.closeInfo = { code, reason: reason.toString('utf8') };
        open.delete(this);
        this.wake();
        resolve(this.closeInfo);
      });
    });
    // Errors (a refused handshake, a reset) end in 'close'; that is what the tests look at.
    this.ws.on('error', () => undefined);
    this.ws.on('unexpected-response', (_req, res) => {
      this.refusedStatus = res.statusCode;
      res.resume();
      this.ws.terminate();
    });
    this.ws.on('ping', () => {
      this.pings += 1;
      this.wake();
    });
    this.ws.on('message', (data: RawData, isBinary: boolean) => {
      const text = isBinary ? '' : rawText(data);
      try {
        const parsed: unknown = JSON.parse(text);
        if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
          this.frames.push(parsed as WsFrame);
        } else {
          this.invalid.push(text);
        }
      } catch {
        this.invalid.push(text);
      }
      this.wake();
    });
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends `body` as one JSON text frame. */
  send(body: unknown): void {
    this.ws.send(JSON.stringify(body));
  }

  /** Sends a frame as given (malformed frames). */
  sendRaw(data: string | Buffer): void {
    this.ws.send(data);
  }

  /** Frames of one generation (or any frame naming `messageId`). */
  framesOf(messageId: string): WsFrame[] {
    return this.frames.filter((f) => f.message_id === messageId);
  }

  /**
   * The first frame at index ≥ `from` that matches, waiting for it up to `timeoutMs`. Fails
   * at once when the connection closes first, listing what came.
   */
  waitFor(
    predicate: (frame: WsFrame) => boolean,
    options: { timeoutMs?: number; from?: number; what?: string } = {},
  ): Promise<WsFrame> {
    const { timeoutMs = 5000, from = 0, what = 'a matching frame' } = options;
    return this.until(
      () => this.frames.slice(from).find(predicate),
      timeoutMs,
      what,
      () => this.closeInfo !== undefined,
    );
  }

  /** Waits for a frame of `type` (optionally of one generation), arriving at index ≥ `from`. */
  waitForType(
    type: string,
    options: { messageId?: string; timeoutMs?: number; from?: number } = {},
  ): Promise<WsFrame> {
    return this.waitFor(
      (f) =>
        f.type === type && (options.messageId === undefined || f.message_id === options.messageId),
      { ...options, what: `a ${type} frame${options.messageId ? ` of ${options.messageId}` : ''}` },
    );
  }

  /** Sends a `ping` frame and waits for the `pong` that answers it (frames of a socket are handled in order). */
  async roundTrip(timeoutMs = 5000): Promise<WsFrame> {
    const from = this.frames.length;
    this.send({ type: 'ping' });
    return this.waitFor((f) => f.type === 'pong', { from, timeoutMs, what: 'a pong' });
  }

  /** Waits until at least `count` server pings have arrived. */
  waitForPings(count: number, timeoutMs = 5000): Promise<number> {
    return this.until(
      () => (this.pings >= count ? this.pings : undefined),
      timeoutMs,
      `${count} pings`,
      () => this.closeInfo !== undefined,
    );
  }

  /** The close code and reason, once the connection ends (fails after `timeoutMs`). */
  waitForClose(timeoutMs = 5000): Promise<CloseInfo> {
    return this.until(() => this.closeInfo, timeoutMs, 'the connection to close');
  }

  /** Closes from the client side and waits until it is closed. */
  async close(): Promise<CloseInfo> {
    if (this.closeInfo) return this.closeInfo;
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(1000);
    else this.ws.terminate();
    const timer = setTimeout(() => this.ws.terminate(), 1000);
    try {
      return await this.closed;
    } finally {
      clearTimeout(timer);
    }
  }

  private until<T>(
    value: () => T | undefined,
    timeoutMs: number,
    what: string,
    hopeless: () => boolean = () => false,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = (): boolean => {
        const found = value();
        if (found !== undefined) {
          finish();
          resolve(found);
          return true;
        }
        if (hopeless()) {
          finish();
          reject(new Error(`connection closed (${this.describe()}) while waiting for ${what}`));
          return true;
        }
        return false;
      };
      const listener = () => void check();
      const timer = setTimeout(() => {
        finish();
        reject(
          new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${this.describe()}`),
        );
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.listeners.delete(listener);
      };
      if (!check()) this.listeners.add(listener);
    });
  }

  private describe(): string {
    const end = this.closeInfo ? `closed ${this.closeInfo.code}` : 'open';
    const types = this.frames.map((f) => `${f.type}${f.seq === undefined ? '' : `#${f.seq}`}`);
    return `${end}, HTTP ${this.refusedStatus ?? '-'}, frames: [${types.join(', ')}]`;
  }

  private wake(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

/** Opens a connection and waits until it is open (fails with the HTTP status when refused). */
export async function connectWs(url: string, options: WsClientOptions = {}): Promise<WsClient> {
  const client = new WsClient(url, options);
  await client.opened;
  return client;
}

/**
 * Tries a connection that should be refused at the upgrade: resolves with the HTTP status
 * of the answer, or fails when a socket opened.
 */
export async function refusedUpgrade(url: string, options: WsClientOptions = {}): Promise<number> {
  const client = new WsClient(url, options);
  const opened = await client.opened.then(
    () => true,
    () => false,
  );
  if (opened) {
    await client.close();
    throw new Error('the upgrade was accepted: a socket opened');
  }
  await client.closed;
  if (client.refusedStatus === undefined) throw new Error('no HTTP answer to the upgrade');
  return client.refusedStatus;
}

/** Closes every client still open (afterEach). */
export async function closeAllWs(): Promise<void> {
  await Promise.all([...open].map((c) => c.close()));
}
