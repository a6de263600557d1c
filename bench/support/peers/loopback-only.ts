/**
 * Preloaded (`node -r`) into a peer we benchmark against that listens on every interface and
 * has no option to choose one (the Portkey gateway calls `server.listen(port, undefined)`):
 * a listen without a host binds 127.0.0.1 instead, so nothing we start is reachable from
 * outside the machine.
 */
import { Server } from 'node:net';

const listen = Object.getOwnPropertyDescriptor(Server.prototype, 'listen')!.value as (
  this: Server,
  ...args: unknown[]
) => Server;
Server.prototype.listen = function (this: Server, ...args: unknown[]) {
  if (typeof args[0] === 'number' && (args[1] === undefined || args[1] === null)) {
    args[1] = '127.0.0.1';
  } else if (typeof args[0] === 'number' && typeof args[1] === 'function') {
    args.splice(1, 0, '127.0.0.1');
  } else if (
    typeof args[0] === 'object' &&
    args[0] !== null &&
    !('path' in args[0]) &&
    !(args[0] as { host?: unknown }).host
  ) {
    args[0] = { ...args[0], host: '127.0.0.1' };
  }
  return listen.apply(this, args);
} as typeof Server.prototype.listen;
