import { AddressInfo, createServer, Server, Socket, connect } from 'node:net';

export type ProxyMode = 'pass' | 'refuse' | 'blackhole' | 'hold';

/**
 * A loopback TCP proxy in front of a database, to cut it ('refuse': connections reset and
 * refused) or make it hang ('blackhole': accepted, never answered) and then restore it.
 * 'hold' is a starting gate: new connections are accepted and wait, unanswered, until the
 * mode goes back to 'pass', which connects them all at once.
 */
export class TcpProxy {
  private server?: Server;
  private mode: ProxyMode = 'pass';
  private readonly pairs = new Set<{ client: Socket; upstream?: Socket }>();

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(): Promise<number> {
    const server = createServer((client) => this.accept(client));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }

  setMode(mode: ProxyMode): void {
    const previous = this.mode;
    this.mode = mode;
    if (mode === 'blackhole') {
      // Open connections stay up but nothing crosses any more: queries on them get no answer.
      for (const { client, upstream } of this.pairs) {
        if (upstream) {
          client.unpipe(upstream);
          upstream.unpipe(client);
        }
        client.pause();
        upstream?.pause();
      }
    } else if (mode === 'refuse' || previous === 'blackhole') {
      // A cut, or a network coming back after a hang: open connections are reset.
      this.dropAll();
    } else if (mode === 'pass' && previous === 'hold') {
      for (const pair of this.pairs) if (!pair.upstream) this.forward(pair);
    }
  }

  /** Connections accepted so far and still open (held ones included). */
  get connections(): number {
    return this.pairs.size;
  }

  async stop(): Promise<void> {
    this.dropAll();
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }

  private accept(client: Socket): void {
    client.on('error', () => undefined);
    if (this.mode === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    const pair: { client: Socket; upstream?: Socket } = { client };
    this.pairs.add(pair);
    client.on('close', () => {
      pair.upstream?.destroy();
      this.pairs.delete(pair);
    });
    if (this.mode === 'blackhole') return;
    if (this.mode === 'hold') {
      client.pause();
      return;
    }
    this.forward(pair);
  }

  private forward(pair: { client: Socket; upstream?: Socket }): void {
    const { client } = pair;
    const upstream = connect(this.targetPort, this.targetHost);
    pair.upstream = upstream;
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  }

  private dropAll(): void {
    for (const { client, upstream } of this.pairs) {
      upstream?.destroy();
      // Not resetAndDestroy(): on a piped socket Node 20 can leave its handle half-closed, and
      // the process then spins at exit waiting for it (Jest never ends). A FIN is a lost
      // connection to the app just the same.
      client.destroy();
    }
    this.pairs.clear();
  }
}
