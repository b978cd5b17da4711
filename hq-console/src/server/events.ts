/**
 * The contract between the console server and the browser: REST bodies and typed socket.io
 * events. The browser imports these types as they are (type-only), so both sides agree.
 *
 * REST (JSON; the session cookie authenticates; every error is `{ code, message }`):
 * - `POST   /api/session`                 sign in `{ username, password, code }` → `OperatorView`
 * - `DELETE /api/session`                 sign out
 * - `GET    /api/me`                      → `OperatorView` (renews the idle clock)
 * - `GET    /api/alerts?limit=N`          → `{ alerts: AlertView[], progress: { [id]: AlertProgress } }`
 *                                          newest first (N ≤ 500)
 * - `GET    /api/alerts/:id`              → `AlertDetail`
 * - `GET    /api/stations`                → `StationsSnapshot`
 * - `GET    /api/broadcasts`              → `{ broadcasts: BroadcastView[] }` newest first
 * - `POST   /api/broadcasts`              `BroadcastInput` → `BroadcastView` (duty officer, administrator)
 * - `POST   /api/broadcasts/:id/approve`  → `BroadcastView` (a second duty officer; national only)
 * - `POST   /api/broadcasts/:id/reject`   `{ reason }` → `BroadcastView`
 * - `GET    /api/notifications?alert=ID`  → `NotificationsSnapshot`
 * - `GET    /api/escalations?alert=ID`    → `EscalationsSnapshot`
 * - `GET    /api/contacts?state=S`        → `ContactsView` (S: a state in scope; national console: any)
 * - `PUT    /api/contacts?state=S`        `ContactsDocument` → `ContactsView` (administrator)
 * - `GET    /api/audit?source=S&subject=&actor=&action=&verify=1`  → `AuditView` (administrator;
 *   S: `console`, the home broker's scope, or a state broker of a national console)
 */

/** The signed-in operator. */
export interface OperatorView {
  username: string;
  role: 'viewer' | 'duty-officer' | 'administrator';
  /** `national` or a State/UT code. */
  scope: string;
  /** The console's own identity (`hq/<scope>/console`): the sender of its broadcasts. */
  console?: string;
  /** States/UTs with a broker this console reaches, alphabetically (what a broadcast may address). */
  brokerStates?: string[];
  /** How long approving a national broadcast waits for the approving officer's own signature. */
  approvalWaitSeconds?: number;
}

/** An alert as the console shows it (decoded from the signed message the broker holds). */
export interface AlertView {
  seq: number;
  id: string;
  sender: string;
  msgType: string;
  severity: string;
  urgency: string;
  certainty: string;
  categories: string[];
  event: string;
  headline: string;
  description: string;
  instruction: string;
  note: string;
  sent: string | null;
  expires: string | null;
  references: string[];
  /** States the alert reaches (`national` for a national broadcast). */
  states: string[];
  to: { national: boolean; states: string[]; districts: string[]; stations: string[] };
  /** SMS / email requested by the sender, besides the network. */
  channels: Array<'sms' | 'email'>;
  firReference: string;
  caseReference: string;
  modusOperandi: string;
  persons: Array<{
    name: string;
    aliases: string[];
    fatherName: string;
    gender: string;
    age: number;
    role: string;
  }>;
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
  kind: 'delivered' | 'read' | 'acknowledged' | string;
  at: string | null;
  note: string;
}

/** How far each addressed station in scope has come with one alert. */
export interface TrackerView {
  alertId: string;
  /** Stations in scope the alert addresses (from the station directory). */
  expected: number;
  received: number;
  read: number;
  acknowledged: number;
  /** Per station: the furthest receipt and when each came (ISO times). */
  stations: Array<{
    station: string;
    state: 'pending' | 'delivered' | 'read' | 'acknowledged';
    delivered: string | null;
    read: string | null;
    acknowledged: string | null;
    online: boolean | null;
  }>;
  /** Cumulative counts after each receipt, oldest first (for a chart over time). */
  timeline: Array<{ at: string; received: number; read: number; acknowledged: number }>;
}

/** How far an alert has come, for the feed (counts of the tracker). */
export interface AlertProgress {
  /** Stations in the directory it addresses. */
  expected: number;
  /** Stations that received it (delivered or further). */
  received: number;
  acknowledged: number;
}

/** An alert's page. */
export interface AlertDetail {
  alert: AlertView;
  /** The Update/Cancel chain the alert belongs to, oldest first (includes the alert itself). */
  chain: AlertView[];
  receipts: ReceiptView[];
  tracker: TrackerView;
}

/** A station in the directory. */
export interface StationView {
  identity: string;
  state: string;
  district: string;
  name: string;
  online: boolean;
  lastSeen: string | null;
  /** Entries addressed to it beyond its cursor. */
  backlog: number;
  certNotAfter: string | null;
}

/** The station directory in scope, as last polled from the broker(s). */
export interface StationsSnapshot {
  at: string;
  stations: StationView[];
  /** State brokers that did not answer the last poll (their stations are missing, not offline). */
  unreachable: Array<{ state: string; error: string }>;
}

/** What an operator composes. Everything but the text has a default on the server. */
export interface BroadcastInput {
  msgType?: 'alert' | 'update' | 'cancel';
  /** Alert ids an Update or Cancel refers to. */
  references?: string[];
  to: { national?: boolean; states?: string[]; districts?: string[]; stations?: string[] };
  event: string;
  headline: string;
  description?: string;
  instruction?: string;
  severity?: string;
  urgency?: string;
  certainty?: string;
  categories?: string[];
  /** Minutes until the alert expires (default 24 h). */
  expiresInMinutes?: number;
  persons?: Array<{
    name: string;
    aliases?: string[];
    fatherName?: string;
    gender?: string;
    age?: number;
    role?: string;
  }>;
  vehicles?: Array<{
    registration: string;
    make?: string;
    model?: string;
    colour?: string;
    status?: string;
  }>;
  firReference?: string;
  caseReference?: string;
  modusOperandi?: string;
  /** `network` always; `sms` and `email` reach the SHOs of the addressed stations at once. */
  channels?: Array<'network' | 'sms' | 'email'>;
}

/**
 * A broadcast through its life: `pending` a second officer's approval (national), `rejected` by
 * an officer, or signed and `queued` for the broker, which then `accepted` it into its log (at
 * `seq`) or `refused` it (`refusal`: the broker's stable code and its message).
 */
export interface BroadcastView {
  id: string;
  status: 'pending' | 'rejected' | 'queued' | 'accepted' | 'refused';
  input: BroadcastInput;
  composer: string;
  createdAt: string;
  approver: string | null;
  decidedAt: string | null;
  /** The alert's identifier once signed and queued for the broker. */
  alertId: string | null;
  /** An officer's reason for rejecting it. */
  reason: string | null;
  /** The broker's log sequence, once accepted. */
  seq: number | null;
  /** Why the broker refused it. */
  refusal: { code: string; message: string } | null;
  answeredAt: string | null;
}

/** One SMS or email to one officer about one alert. */
export interface NotificationView {
  key: string;
  /** The broker that holds and sends it (its State/UT). */
  broker: string;
  alertId: string;
  station: string;
  contactId: string;
  channel: 'sms' | 'email';
  to: string;
  state: 'pending' | 'sent' | 'delivered' | 'failed' | 'undelivered';
  attempts: number;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Notifications in scope, from every broker that answered. */
export interface NotificationsSnapshot {
  notifications: NotificationView[];
  unreachable: Array<{ state: string; error: string }>;
}

/** The next step of an escalation for one station that has not acknowledged an alert. */
export interface EscalationStepView {
  /** The broker whose chain it is (its State/UT). */
  broker: string;
  alertId: string;
  station: string;
  chain: string;
  /** The step's place in its chain, from 0. */
  step: number;
  /** When it falls due (ISO). */
  dueAt: string;
  level: 'station' | 'district' | 'state' | 'national';
  roles: string[];
  channels: Array<'sms' | 'email'>;
  /** The contacts it will reach (none: no contact of those roles at that level). */
  recipients: Array<{ contactId: string; name: string; role: string }>;
}

/** The next escalation steps in scope, from every broker that answered. */
export interface EscalationsSnapshot {
  steps: EscalationStepView[];
  unreachable: Array<{ state: string; error: string }>;
}

/** The contact directory file of a state broker (`version: 1`, `contacts: [...]`). */
export interface ContactsDocument {
  version: 1;
  contacts: Array<{
    id: string;
    name: string;
    role: 'SHO' | 'SP' | 'STATE-HQ' | 'NATIONAL-HQ';
    scope: string;
    phone?: string;
    email?: string;
  }>;
}

/** A state's contact directory as the console edits it. */
export interface ContactsView {
  state: string;
  document: ContactsDocument;
}

/** One audit entry: its place in the chain and what it records. */
export interface AuditEntryView {
  seq: number;
  hash: string;
  at: string;
  actor: string;
  serial?: string;
  action: string;
  outcome: 'ok' | 'refused' | 'failed';
  purpose?: { reference: string; reason: string };
  subject?: string;
  query?: Record<string, unknown>;
  results?: number;
  code?: string;
  message?: string;
  details?: Record<string, unknown>;
}

/** An audit as an administrator sees it: entries (newest first), head, and the chain's check. */
export interface AuditView {
  /** `console`, `national` or a State/UT code. */
  source: string;
  /** The sources this console can show. */
  sources: string[];
  headSeq: number;
  headHash: string;
  checkpoints: number;
  /** null unless `verify=1` was asked. */
  verified: boolean | null;
  problems: string[];
  entries: AuditEntryView[];
}

/** An acknowledgement: a result or a clear error. */
export type Ack<T> = ({ ok: true } & T) | { ok: false; code: string; message: string };

/** Events the server sends. */
export interface ServerToClientEvents {
  alert: (alert: AlertView) => void;
  receipt: (receipt: ReceiptView) => void;
  /** The broker link's state, for the header of the console. */
  link: (state: { connected: boolean; broker: string; detail?: string }) => void;
  /** A fresh station directory (polled every few seconds). */
  stations: (snapshot: StationsSnapshot) => void;
  /** A broadcast was composed, approved, rejected or sent. */
  broadcast: (b: BroadcastView) => void;
  /**
   * SMS or email rows that are new or changed (queued, sent, delivered, failed…) at the brokers
   * in scope, as the console's central poll of their queues finds them (every few seconds).
   */
  notifications: (rows: NotificationView[]) => void;
  /** The session expired or was signed out; the socket closes after this. */
  session: (state: { expired: true; message: string }) => void;
}

/** Events the browser sends (acknowledged with a result or a clear error). */
export interface ClientToServerEvents {
  /** The latest alerts, newest first. */
  recent: (query: { limit: number }, ack: (res: Ack<{ alerts: AlertView[] }>) => void) => void;
}

/** Per-connection data: the operator the session proved. */
export interface SocketData {
  username: string;
  role: string;
  scope: string;
  /** Session expiry (ms since epoch); the socket is closed when it passes. */
  expiresAt?: number;
}
