import { EventEmitter } from 'node:events';
import { of } from 'rxjs';
import type { WebSocket } from 'ws';
import { AppWsAdapter } from './app-ws-adapter';

describe(AppWsAdapter.name, () => {
  describe('bindMessageHandlers', () => {
    const transform = (data: unknown) => of(data);

    it('listens to no message of a gateway that has no message handlers', () => {
      const client = new EventEmitter();
      new AppWsAdapter().bindMessageHandlers(client as unknown as WebSocket, [], transform);
      expect(client.listenerCount('message')).toBe(0);
    });

    it("binds a gateway's message handlers as Nest does", () => {
      const client = new EventEmitter();
      const handler = {
        message: 'frame',
        methodName: 'onFrame',
        callback: () => of(undefined),
        isAckHandledManually: false,
      };
      new AppWsAdapter().bindMessageHandlers(client as unknown as WebSocket, [handler], transform);
      expect(client.listenerCount('message')).toBe(1);
    });
  });
});
