import type { WebSocket } from 'ws';
import type { Caller } from '../modules/auth/api-keys.js';
import type { EventHub } from '../modules/events/hub.js';
import type { Authenticate } from './auth.js';

/** graphql-ws's Forbidden: the key was accepted once and is not any more. */
export const KEY_REFUSED_CLOSE_CODE = 4403;
const REASON = 'Forbidden: the API key was revoked or has expired; sign in with a valid key';

/**
 * The WebSocket connections of each API key on this instance, so a key that stops being
 * accepted loses them at once: on a revocation or a moved expiry (the database announces it:
 * `apiKeyChanged`) each of its connections is authenticated again and closed if refused; at a
 * known expiry, a timer closes them.
 */
export class KeySockets {
  private readonly sockets = new Map<number, Map<WebSocket, { authorization: unknown; timer: NodeJS.Timeout | null }>>();
  /** ADMIN_API_KEY's connections: counted, never revoked. */
  private readonly envSockets = new Set<WebSocket>();

  constructor(private readonly authenticate: Authenticate, hub: EventHub) {
    hub.on((signal) => {
      if (signal.topic === 'apiKeyChanged') void this.recheck(signal.keyId);
    });
  }

  /** Connections of the caller's key open on this instance. */
  count(caller: Caller): number {
    return caller.keyId === 'env' ? this.envSockets.size : this.sockets.get(caller.keyId)?.size ?? 0;
  }

  add(socket: WebSocket, caller: Caller, authorization: unknown): void {
    if (caller.keyId === 'env') {
      this.envSockets.add(socket);
      socket.once('close', () => this.envSockets.delete(socket));
      return;
    }
    const keyId = caller.keyId;
    let mine = this.sockets.get(keyId);
    if (!mine) this.sockets.set(keyId, (mine = new Map()));
    const wait = caller.expiresAt == null ? null : caller.expiresAt - Date.now();
    const timer = wait === null ? null : setTimeout(() => socket.close(KEY_REFUSED_CLOSE_CODE, REASON), Math.max(0, Math.min(wait, 2 ** 31 - 1)));
    mine.set(socket, { authorization, timer });
    socket.once('close', () => {
      if (timer) clearTimeout(timer);
      mine!.delete(socket);
      if (mine!.size === 0 && this.sockets.get(keyId) === mine) this.sockets.delete(keyId);
    });
  }

  private async recheck(keyId: number): Promise<void> {
    for (const [socket, { authorization }] of this.sockets.get(keyId) ?? []) {
      try {
        await this.authenticate(authorization);
      } catch {
        socket.close(KEY_REFUSED_CLOSE_CODE, REASON);
      }
    }
  }
}
