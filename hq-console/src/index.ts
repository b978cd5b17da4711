/**
 * @cctns/hq-console — the HQ console (arrives with its own issue) and `cctns up`, the embedded
 * network, which lives here because this package sits above the broker and the station agent.
 */
export {
  CONSOLE_IDENTITY,
  HQ_OPERATOR,
  operatorsFile,
  hqDir,
  stationDir,
  stationsOf,
  up,
  type RunningNetwork,
  type UpOptions,
} from './up/up.js';
export { Accounts, LOCKOUT, ROLES, type Operator, type OperatorRole } from './auth/accounts.js';
export { CONSOLE_ERROR_CODES, ConsoleError, type ConsoleErrorCode } from './auth/errors.js';
export {
  IDLE_TIMEOUT_MS,
  SESSION_COOKIE,
  Sessions,
  sessionFromCookie,
  type SessionClaims,
} from './auth/sessions.js';
export { otpauthUri, totpCode, verifyTotp } from './auth/totp.js';
export { ConsoleServer, type ConsoleServerOptions } from './server/server.js';
export { alertView, receiptView } from './server/feed.js';
export type {
  AlertDetail,
  AlertView,
  AuditEntryView,
  AuditView,
  BroadcastInput,
  BroadcastView,
  ClientToServerEvents,
  ContactsDocument,
  EscalationsSnapshot,
  EscalationStepView,
  NotificationsSnapshot,
  NotificationView,
  OperatorView,
  ReceiptView,
  StationsSnapshot,
  StationView,
  TrackerView,
  ServerToClientEvents,
  SocketData,
} from './server/events.js';
