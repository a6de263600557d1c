import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { REQUEST_ID_HEADER } from './request-context';

/**
 * Requests Node's HTTP parser refuses before any route sees them (a URL or headers over the
 * size cap, malformed HTTP) get the contract's error envelope instead of Node's empty answer:
 * 431 or 400, code VALIDATION_ERROR, with a request id.
 */
export function answerClientErrorsInEnvelope(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    const status = tooLarge ? 431 : 400;
    const body = JSON.stringify({
      success: false,
      error: {
        code: 'VALIDATION_ERROR',
        message: tooLarge ? 'Request URL or headers too large' : 'Malformed HTTP request',
      },
      timestamp: new Date().toISOString(),
    });
    socket.end(
      `HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        `${REQUEST_ID_HEADER}: ${randomUUID()}\r\n` +
        `Connection: close\r\n\r\n${body}`,
    );
  });
}
