/** Typed socket.io events shared by the console server and the browser. */

/** An alert as the console shows it (decoded from the signed message the broker holds). */
export interface AlertView {
  seq: number;
  id: string;
  sender: string;
  msgType: string;
  severity: string;
  urgency: string;
  categories: string[];
  headline: string;
  description: string;
  sent: string | null;
  expires: string | null;
  references: string[];
  states: string[];
  persons: Array<{ name: string; aliases: string[]; role: string }>;
  vehicles: Array<{
    registration: string;
    make: string;
    model: string;
    colour: string;
    status: string;
  }>;
}

/** A receipt as the console shows it. */
export interface ReceiptView {
  seq: number;
  alertId: string;
  station: string;
  kind: string;
  at: string | null;
  note: string;
}

/** Events the server sends. */
export interface ServerToClientEvents {
  alert: (alert: AlertView) => void;
  receipt: (receipt: ReceiptView) => void;
  /** The broker link's state, for the header of the console. */
  link: (state: { connected: boolean; broker: string; detail?: string }) => void;
}

/** Events the browser sends (acknowledged with a result or a clear error). */
export interface ClientToServerEvents {
  /** The latest alerts, newest first. */
  recent: (
    query: { limit: number },
    ack: (
      res: { ok: true; alerts: AlertView[] } | { ok: false; code: string; message: string },
    ) => void,
  ) => void;
}

/** Per-connection data: the operator the session proved. */
export interface SocketData {
  username: string;
  role: string;
  scope: string;
}
