/**
 * @cctns/broker — the state (and, with federation, national) broker of the CCTNS alert network.
 */
export { BROKER_ERRORS, BrokerError, type BrokerErrorCode } from './errors.js';
export { Broker, type BrokerAddresses, type BrokerOptions } from './broker.js';
export {
  BROKER_DEFAULTS,
  brokerConfig,
  loadBrokerConfig,
  type BrokerConfig,
} from './config/config.js';
export {
  listenKeys,
  stationKeys,
  statesOfTargets,
  targetsOf,
  type TargetKey,
} from './routing/targets.js';
export {
  checkScope,
  DEFAULT_POLICY,
  loadPolicy,
  parsePolicy,
  SENDER_KINDS,
  type Reach,
  type ScopePolicy,
  type SenderRule,
} from './alerts/policy.js';
export type {
  Backbone,
  BackboneConsumer,
  BackboneMessage,
  BackboneStatus,
  PublishAck,
} from './backbone/backbone.js';
export { InProcessStream } from './backbone/in-process.js';
export { Federation } from './alerts/federation.js';
export { Admission, type AdmittedAlert, type AdmittedReceipt } from './alerts/admission.js';
export {
  alertSubjects,
  consumerFilter,
  kindOfSubject,
  receiptSubject,
  SUBJECT_ROOT,
} from './routing/subjects.js';
export { CONTENT_LIMITS, expiryOf, validateAlert, validateReceipt } from './alerts/validate.js';
export { Hub, type Wakeable } from './link/hub.js';
export { Metrics } from './ops/metrics.js';
export { RateLimiter } from './ops/rate-limit.js';
export { SqliteBrokerStore, type SqliteDurability } from './store/sqlite.js';
export { MongoBrokerStore, type MongoStoreOptions } from './store/mongo/mongo-store.js';
export { describeStore, isMongoStore, openBrokerStore, type StoreConfig } from './store/open.js';
export {
  EXPORT_FORMAT,
  EXPORT_VERSION,
  exportLine,
  parseExportLine,
  type ExportItem,
  type ImportReport,
} from './store/export.js';
export type {
  AppendResult,
  BrokerStore,
  EntryKind,
  LogEntry,
  NewLogEntry,
  ReceiptRecord,
  StationRecord,
} from './store/store.js';
export { REASON_METADATA_KEY } from './grpc/status.js';
export { NatsBackbone } from './backbone/nats.js';
export { natsServerConfig } from './backbone/nats-config.js';
export {
  checkCertificates,
  checkNats,
  hostChecks,
  offlineChecks,
  EXPIRY_WARN_DAYS,
  type Check,
} from './ops/preflight.js';
