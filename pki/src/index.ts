/**
 * @cctns/pki — the certificate authority of the CCTNS alert network and the helpers every other
 * package uses to prove and check identities.
 */
export { EXIT, PKI_ERROR_CODES, PkiError, isPkiError, type PkiErrorCode } from './errors.js';
export { STATES, STATE_CODES, isStateCode, type StateCode } from './identity/states.js';
export {
  MAX_IDENTITY_LENGTH,
  caUri,
  formatIdentity,
  identityUri,
  issuerFor,
  parseCaName,
  parseIdentity,
  parseSpiffeUri,
  parseTrustDomain,
  quote,
  stateOfIdentity,
  type CaName,
  type Identity,
  type IdentityKind,
} from './identity/identity.js';
export {
  DEFAULT_KEY_BITS,
  generateRsaKeyPair,
  loadPrivateKey,
  privateKeyToPem,
  publicKeyToPem,
  readTextFile,
  writePublicFile,
  writeSecretFile,
  type KeyPair,
} from './keys/keys.js';
export { certificateUris, normalizeSerial } from './x509/certificate.js';
export { selfSignedWebCertificate } from './x509/web.js';
export { createCsr, verifyCsr, type VerifiedCsr } from './x509/csr.js';
export {
  buildCrl,
  parseCrl,
  verifyCrl,
  REVOCATION_REASONS,
  type ParsedCrl,
  type RevocationReason,
} from './x509/crl.js';
export { pemBlocks, derToPem } from './x509/der.js';
export {
  DEFAULT_LIFETIME_DAYS,
  LEAF_PROFILES,
  RENEW_AT_FRACTION,
  renewalDue,
  type Profile,
} from './x509/profiles.js';
export {
  TrustStore,
  type CertificateInput,
  type RevocationLookup,
  type VerifiedCertificate,
  type VerifyOptions,
} from './verify/trust-store.js';
export { JWS_ALG, JwsSigner, unverifiedPayload, verifyJws, type VerifiedJws } from './jws/jws.js';
export {
  APPROVAL_JWS_TYPE,
  approvalDigest,
  approvalOf,
  checkApprovalFits,
  openApproval,
  signApproval,
  verifyApproval,
  type OpenedApproval,
} from './jws/approval.js';
export {
  GENESIS_HASH,
  canonicalJson,
  entryHash,
  verifyChain,
  type ChainEntry,
  type ChainProblem,
  type ChainReport,
} from './log/hash-chain.js';
export {
  CHECKPOINT_JWS_TYPE,
  SqliteAuditTable,
  WITNESS_JWS_TYPE,
  auditEntry,
  checkpointDigest,
  signCheckpoint,
  signWitness,
  verifyAudit,
  verifyAuditChain,
  type AuditBody,
  type AuditCheckpoint,
  type AuditEntry,
  type AuditFilter,
  type AuditHead,
  type AuditProblem,
  type AuditReport,
  type VerifyAuditOptions,
  type WitnessStatement,
  type WitnessedCheckpoint,
} from './log/audit.js';
export {
  Pki,
  IssuingCa,
  MIN_PASSPHRASE_LENGTH,
  type IssuedCertificate,
  type PkiOptions,
} from './authority/authority.js';
export {
  PkiStore,
  type CertificateRecord,
  type LogBody,
  type LogReport,
} from './authority/store.js';
export {
  DEFAULT_TOKEN_TTL_SECONDS,
  MAX_TOKEN_TTL_SECONDS,
  parseDuration,
  tokenAudience,
} from './authority/tokens.js';
export { createRenewalRequest, RENEWAL_PROOF_TYPE } from './authority/renewal.js';
export {
  ALERT_JWS_TYPE,
  LOOKUP_JWS_TYPE,
  RECEIPT_JWS_TYPE,
  openAlert,
  openLookup,
  openReceipt,
  signAlert,
  signLookup,
  signReceipt,
} from './jws/envelopes.js';
