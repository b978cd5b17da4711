/**
 * @cctns/station-agent — the daemon at a police station: its key and certificate, one link to its
 * state broker, a local inbox and outbox, and the officer's commands.
 */
export { AGENT_ERROR_CODES, AgentError, type AgentErrorCode } from './errors.js';
export {
  Agent,
  AGENT_FILES,
  writeAgentConfig,
  type AgentConfig,
  type AgentPaths,
} from './agent.js';
export { enroll } from './enroll.js';
export { Approvals, type VerifiedDraft } from './approval/approvals.js';
export {
  AgentLink,
  brokerIdentityCheck,
  channelOptions,
  peerChain,
  type PeerCert,
  type LinkEvents,
  type LinkOptions,
  type LinkState,
} from './link/link-client.js';
export {
  AgentStore,
  type InboxItem,
  type OutboxItem,
  type TrailItem,
} from './store/agent-store.js';
export {
  alertFromJson,
  composeAlert,
  enumChoices,
  enumLabel,
  enumValue,
  parsePerson,
  parseVehicle,
  type ComposeInput,
} from './compose/alert.js';
export { RecordsClient, type ClientCredentials, type LookupInput } from './query/client.js';
export { openSealed, recipientKey, seal, SEALED_JWS_TYPE } from './query/seal.js';
