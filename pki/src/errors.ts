/**
 * The PKI's error catalogue: every refusal has a stable code, a CLI exit code and a
 * one-line description that README.md documents (a test checks that it does).
 */
export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  invalidInput: 3,
  refused: 4,
  notFound: 5,
  verification: 6,
  passphrase: 7,
  tampered: 8,
  conflict: 9,
} as const;

/** Stable error codes of the PKI with their exit code and documented meaning. */
export const PKI_ERROR_CODES = {
  IDENTITY_INVALID: { exit: EXIT.invalidInput, doc: 'the identity string is malformed' },
  STATE_UNKNOWN: { exit: EXIT.invalidInput, doc: 'not one of the 36 State/UT codes' },
  TRUST_DOMAIN_INVALID: {
    exit: EXIT.invalidInput,
    doc: 'the trust domain is not a DNS-style name',
  },
  CA_NAME_INVALID: { exit: EXIT.invalidInput, doc: 'a CA name is a State/UT code or CENTRAL' },
  INPUT_INVALID: { exit: EXIT.invalidInput, doc: 'an option or file has an invalid value' },
  CSR_INVALID: {
    exit: EXIT.invalidInput,
    doc: 'the CSR cannot be parsed or uses an unsupported key',
  },
  CSR_SIGNATURE_INVALID: { exit: EXIT.refused, doc: "the CSR's own signature does not verify" },
  CSR_IDENTITY_MISMATCH: {
    exit: EXIT.refused,
    doc: 'the CSR names another identity than the token or certificate',
  },
  CA_NOT_AUTHORIZED: {
    exit: EXIT.refused,
    doc: 'this CA may not issue for that identity (wrong state)',
  },
  TOKEN_INVALID: {
    exit: EXIT.refused,
    doc: 'the enrollment token is malformed or its signature is wrong',
  },
  TOKEN_EXPIRED: { exit: EXIT.refused, doc: 'the enrollment token has expired' },
  TOKEN_AUDIENCE: { exit: EXIT.refused, doc: 'the enrollment token was made for another CA' },
  TOKEN_REUSED: { exit: EXIT.refused, doc: 'the enrollment token was already used' },
  PROOF_INVALID: {
    exit: EXIT.refused,
    doc: 'the renewal proof is missing, stale or not signed by the current key',
  },
  CA_NOT_FOUND: { exit: EXIT.notFound, doc: 'no such CA in this PKI directory' },
  PKI_NOT_FOUND: {
    exit: EXIT.notFound,
    doc: 'the PKI directory has no root CA (run `cctns pki init-root`)',
  },
  SERIAL_UNKNOWN: {
    exit: EXIT.notFound,
    doc: 'no certificate with that serial was issued by this CA',
  },
  FILE_NOT_FOUND: { exit: EXIT.notFound, doc: 'a file named on the command line does not exist' },
  CERT_INVALID: {
    exit: EXIT.verification,
    doc: 'the certificate cannot be parsed or lacks a valid identity',
  },
  CERT_EXPIRED: { exit: EXIT.verification, doc: 'the certificate (or its CA) has expired' },
  CERT_NOT_YET_VALID: {
    exit: EXIT.verification,
    doc: 'the certificate (or its CA) is not valid yet',
  },
  CERT_REVOKED: { exit: EXIT.verification, doc: "the certificate is on its CA's revocation list" },
  CHAIN_INVALID: { exit: EXIT.verification, doc: 'the chain does not lead to the trusted root' },
  CERT_USAGE: {
    exit: EXIT.verification,
    doc: 'key usage or extended key usage do not fit the profile',
  },
  CERT_ISSUER_MISMATCH: {
    exit: EXIT.verification,
    doc: "the issuing CA is not the one of the identity's state",
  },
  TRUST_DOMAIN_MISMATCH: {
    exit: EXIT.verification,
    doc: 'the identity belongs to another trust domain',
  },
  CRL_INVALID: {
    exit: EXIT.verification,
    doc: 'the CRL cannot be parsed or is not signed by its CA',
  },
  JWS_INVALID: {
    exit: EXIT.verification,
    doc: 'a signed message is malformed or its signature is wrong',
  },
  MESSAGE_MALFORMED: {
    exit: EXIT.invalidInput,
    doc: 'a signed message verifies but its content cannot be decoded',
  },
  SIGNER_MISMATCH: {
    exit: EXIT.verification,
    doc: "a signed message's sender field names another identity than its signer",
  },
  APPROVAL_INVALID: {
    exit: EXIT.verification,
    doc: "an alert's approval does not verify, is not an HQ officer's, or is for another alert",
  },
  APPROVER_SAME_AS_SENDER: {
    exit: EXIT.verification,
    doc: "an alert's approval is signed by its own sender (a second officer must approve)",
  },
  PASSPHRASE_MISSING: {
    exit: EXIT.passphrase,
    doc: 'no passphrase in the environment and no terminal to ask',
  },
  PASSPHRASE_WRONG: { exit: EXIT.passphrase, doc: 'the passphrase does not open the CA key' },
  PASSPHRASE_WEAK: {
    exit: EXIT.passphrase,
    doc: 'a new CA passphrase must have at least 12 characters',
  },
  LOG_TAMPERED: { exit: EXIT.tampered, doc: 'the issuance log was edited, reordered or cut' },
  ALREADY_EXISTS: {
    exit: EXIT.conflict,
    doc: 'the CA or file already exists and is not overwritten',
  },
  ALREADY_REVOKED: { exit: EXIT.conflict, doc: 'the certificate was already revoked' },
  INTERNAL: { exit: EXIT.internal, doc: 'an unexpected fault; details are in the log' },
} as const;

/** One of the PKI's stable error codes. */
export type PkiErrorCode = keyof typeof PKI_ERROR_CODES;

/**
 * An error the PKI refuses with. `message` is safe to show to users and peers; `cause`
 * (never shown to peers) keeps the internal reason.
 */
export class PkiError extends Error {
  override readonly name = 'PkiError';
  /** Stable code, e.g. `TOKEN_REUSED`. */
  readonly code: PkiErrorCode;

  constructor(code: PkiErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** The CLI exit code for this error. */
  get exitCode(): number {
    return PKI_ERROR_CODES[this.code].exit;
  }
}

/** True when `err` is a PkiError, optionally with the given code. */
export function isPkiError(err: unknown, code?: PkiErrorCode): err is PkiError {
  return err instanceof PkiError && (code === undefined || err.code === code);
}
