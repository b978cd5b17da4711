// The live link to the console server: one typed socket.io connection per signed-in session, and
// a hook for pages to listen to one event while they are shown.
import { useEffect, useRef } from 'react';
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../../src/server/events';
import { SESSION_CODES } from './api';

/** The console's socket, typed by the server's contract. */
export type ConsoleSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * Opens the socket (same origin, so the session cookie goes along). WebSocket first; long polling
 * if a proxy on the way refuses the upgrade.
 */
export function connectSocket(): ConsoleSocket {
  return io({ transports: ['websocket', 'polling'], tryAllTransports: true });
}

/** Whether a `connect_error` means the session is gone rather than the network. */
export function isSessionError(err: Error & { data?: unknown }): boolean {
  const code = (err.data as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && SESSION_CODES.has(code);
}

type Listener = (...args: unknown[]) => void;
type Untyped = { on(ev: string, fn: Listener): void; off(ev: string, fn: Listener): void };

/** Calls `handler` for each `event` while the component is mounted (the latest handler wins). */
export function useSocketEvent<E extends keyof ServerToClientEvents>(
  socket: ConsoleSocket | null,
  event: E,
  handler: ServerToClientEvents[E],
): void {
  const latest = useRef(handler);
  useEffect(() => {
    latest.current = handler;
  });
  useEffect(() => {
    if (!socket) return;
    const s = socket as unknown as Untyped;
    const fn: Listener = (...args) => (latest.current as Listener)(...args);
    s.on(event, fn);
    return () => s.off(event, fn);
  }, [socket, event]);
}
