import { AddressInfo, connect, createServer, Server, Socket } from 'node:net';

/**
 * A loopback proxy between the service and PostgreSQL that reads the client → server half of
 * the wire protocol and counts round trips: every Sync ('S', the end of an extended-protocol
 * exchange) and every simple Query ('Q') is one wait for the server. It can also record the
 * statements executed (Query, and Bind with the text its Parse gave) while `capture` is on.
 */
export class PgRoundTripCounter {
  roundTrips = 0;
  statements = 0;
  capture = false;
  captured: string[] = [];
  /** Statement texts by name ('' the unnamed one), from the Parse messages seen. */
  private readonly texts = new Map<string, string>();
  private server?: Server;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<number> {
    this.server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  reset(): void {
    this.roundTrips = 0;
    this.statements = 0;
    this.captured = [];
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }

  private accept(client: Socket): void {
    const upstream = connect(this.target.port, this.target.host);
    this.sockets.add(client);
    this.sockets.add(upstream);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => {
      upstream.destroy();
      this.sockets.delete(client);
    });
    upstream.on('close', () => {
      client.destroy();
      this.sockets.delete(upstream);
    });
    upstream.pipe(client);
    let pending: Buffer = Buffer.alloc(0);
    let startup = true;
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      for (;;) {
        if (startup) {
          // Untyped: int32 length, int32 code (SSLRequest 80877103 is followed by another startup).
          if (pending.length < 8) break;
          const len = pending.readInt32BE(0);
          if (pending.length < len) break;
          const code = pending.readInt32BE(4);
          pending = pending.subarray(len);
          if (code !== 80877103 && code !== 80877104) startup = false;
          continue;
        }
        if (pending.length < 5) break;
        const type = String.fromCharCode(pending[0]);
        const len = pending.readInt32BE(1);
        if (pending.length < 1 + len) break;
        const body = pending.subarray(5, 1 + len);
        this.onMessage(type, body);
        pending = pending.subarray(1 + len);
      }
    });
  }

  private onMessage(type: string, body: Buffer): void {
    if (type === 'Q') {
      this.roundTrips++;
      this.statements++;
      if (this.capture) this.captured.push(`[simple] ${cstring(body, 0)}`);
    } else if (type === 'S') {
      this.roundTrips++;
    } else if (type === 'P') {
      // Parse: statement name, then its text. A named statement is parsed once per connection
      // and then only bound: the text is kept so its later executions can be listed too.
      const name = cstring(body, 0);
      this.texts.set(name, cstring(body, body.indexOf(0) + 1));
    } else if (type === 'B') {
      // Bind: portal name, then statement name; one per execution, parsed just now or earlier.
      this.statements++;
      if (!this.capture) return;
      const portalEnd = body.indexOf(0);
      const name = cstring(body, portalEnd + 1);
      this.captured.push(this.texts.get(name) ?? `[prepared "${name}", parsed before the proxy]`);
    }
  }
}

function cstring(buf: Buffer, start: number): string {
  const end = buf.indexOf(0, start);
  return buf
    .toString('utf8', start, end < 0 ? buf.length : end)
    .replace(/\s+/g, ' ')
    .trim();
}
