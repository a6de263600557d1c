import { Logger } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import type { MessageMappingProperties } from '@nestjs/websockets';
import type { Observable } from 'rxjs';
import type { WebSocket, WebSocketServer } from 'ws';

/** At most one warning per this period about misbehaving WebSocket clients. */
const CLIENT_ERROR_WARN_MS = 60_000;

/**
 * Nest's WsAdapter logs every socket error at ERROR with a full stack. A socket error is
 * almost always the client's doing (a frame over the size cap, a protocol violation), so
 * any client could flood the log with them. Here each one is a debug line without stack,
 * and a warning sums them up at most once a minute. Errors of the server itself stay errors.
 */
export class AppWsAdapter extends WsAdapter {
  private readonly wsLogger = new Logger('WebSocket');
  private clientErrors = 0;
  private lastWarnAt = 0;

  override bindErrorHandler(server: WebSocketServer): WebSocketServer {
    server.on('connection', (ws: WebSocket) =>
      ws.on('error', (error: Error) => this.clientError(error)),
    );
    server.on('error', (error: Error) => this.wsLogger.error(error));
    return server;
  }

  /**
   * A gateway without message handlers (the chat gateway reads its sockets itself) gets no
   * per-message pipeline at all: nothing runs per frame on its behalf.
   */
  override bindMessageHandlers(
    client: WebSocket,
    handlers: MessageMappingProperties[],
    transform: (data: unknown) => Observable<unknown>,
  ): void {
    if (handlers.length === 0) return;
    super.bindMessageHandlers(client, handlers, transform);
  }

  private clientError(error: Error & { code?: string }): void {
    this.clientErrors += 1;
    const code = error.code ?? error.name;
    this.wsLogger.debug({ code, reason: error.message }, 'client socket error');
    const now = Date.now();
    if (now - this.lastWarnAt >= CLIENT_ERROR_WARN_MS) {
      this.wsLogger.warn(
        { count: this.clientErrors, last_code: code },
        `${this.clientErrors} WebSocket client error(s) since the last report (latest: ${code})`,
      );
      this.clientErrors = 0;
      this.lastWarnAt = now;
    }
  }
}
