import { status } from '@grpc/grpc-js';

/**
 * The broker's refusal catalogue: a stable reason, the gRPC status it maps to (as a call status,
 * or inside a Refused message on the station link) and the CLI exit code where one applies.
 */
export const BROKER_ERRORS = {
  UNAUTHENTICATED: {
    grpc: status.UNAUTHENTICATED,
    exit: 6,
    doc: 'no valid client certificate on the connection',
  },
  CERT_REFUSED: {
    grpc: status.UNAUTHENTICATED,
    exit: 6,
    doc: 'the client certificate is expired, revoked or not of this PKI',
  },
  IDENTITY_FORBIDDEN: {
    grpc: status.PERMISSION_DENIED,
    exit: 4,
    doc: 'this identity may not use this service on this broker (e.g. a station of another state)',
  },
  MALFORMED: { grpc: status.INVALID_ARGUMENT, exit: 3, doc: 'the message cannot be decoded' },
  TOO_LARGE: {
    grpc: status.RESOURCE_EXHAUSTED,
    exit: 3,
    doc: 'the message is larger than the configured limit',
  },
  SIGNATURE_INVALID: {
    grpc: status.UNAUTHENTICATED,
    exit: 6,
    doc: 'the JWS signature or its certificate chain does not verify',
  },
  SIGNER_MISMATCH: {
    grpc: status.PERMISSION_DENIED,
    exit: 4,
    doc: 'signed by another identity than the connected one, or sender field differs from the signer',
  },
  FIELD_INVALID: {
    grpc: status.INVALID_ARGUMENT,
    exit: 3,
    doc: 'a field is missing, too long or malformed',
  },
  ENUM_UNKNOWN: {
    grpc: status.INVALID_ARGUMENT,
    exit: 3,
    doc: 'an enum field has a value this version does not know',
  },
  SCOPE_FORBIDDEN: {
    grpc: status.PERMISSION_DENIED,
    exit: 4,
    doc: 'the sender may not address that scope',
  },
  REFERENCE_UNKNOWN: {
    grpc: status.FAILED_PRECONDITION,
    exit: 4,
    doc: 'an Update or Cancel references an alert the broker does not have, or one of another sender',
  },
  EXPIRED: { grpc: status.FAILED_PRECONDITION, exit: 4, doc: 'the alert has already expired' },
  APPROVAL_REQUIRED: {
    grpc: status.PERMISSION_DENIED,
    exit: 4,
    doc: "the alert needs a second officer's approval (every national broadcast) and carries none",
  },
  APPROVAL_INVALID: {
    grpc: status.PERMISSION_DENIED,
    exit: 4,
    doc: 'the approval does not verify, is revoked, stale, for another alert, or by an identity without the duty-officer grant',
  },
  APPROVER_SAME_AS_SENDER: {
    grpc: status.PERMISSION_DENIED,
    exit: 4,
    doc: "the approval is signed by the alert's own sender; a second, different officer must approve",
  },
  NOT_RECIPIENT: {
    grpc: status.PERMISSION_DENIED,
    exit: 4,
    doc: 'a receipt for an alert the station was not addressed by',
  },
  DRAFT_UNKNOWN: {
    grpc: status.NOT_FOUND,
    exit: 5,
    doc: 'no draft with that identifier awaits approval at this broker (never left, sent, or expired)',
  },
  ALERT_UNKNOWN: {
    grpc: status.NOT_FOUND,
    exit: 5,
    doc: 'a receipt for an alert the broker does not have',
  },
  RATE_LIMITED: {
    grpc: status.RESOURCE_EXHAUSTED,
    exit: 4,
    doc: 'too many messages from this identity; slow down and resend',
  },
  BACKBONE_BEHIND: {
    grpc: status.FAILED_PRECONDITION,
    exit: 9,
    doc: "the backbone stream is behind this broker's log (recreated under a running network)",
  },
  SUBJECT_INVALID: {
    grpc: status.INVALID_ARGUMENT,
    exit: 3,
    doc: 'a backbone message on a subject outside the scheme, or on one its content does not belong to',
  },
  PROTOCOL: {
    grpc: status.FAILED_PRECONDITION,
    exit: 3,
    doc: 'messages out of order on the link (e.g. no hello first)',
  },
  ENROLL_REFUSED: {
    grpc: status.PERMISSION_DENIED,
    exit: 4,
    doc: 'enrollment or renewal refused by the CA (token, CSR or proof)',
  },
  ENROLL_UNAVAILABLE: {
    grpc: status.UNAVAILABLE,
    exit: 5,
    doc: 'this broker does not run network enrollment',
  },
  NOTIFY_UNAVAILABLE: {
    grpc: status.FAILED_PRECONDITION,
    exit: 4,
    doc: 'this broker has no notifications (contacts, SMS, email) configured',
  },
  CONFIG_INVALID: {
    grpc: status.INTERNAL,
    exit: 3,
    doc: 'the broker configuration has an invalid field',
  },
  BACKBONE_TIMEOUT: {
    grpc: status.DEADLINE_EXCEEDED,
    exit: 5,
    doc: 'a broker asked over the backbone did not answer in time',
  },
  BACKBONE_NO_RESPONDER: {
    grpc: status.UNAVAILABLE,
    exit: 5,
    doc: 'no broker answers for that state on the backbone (it is down or not deployed)',
  },
  PURPOSE_REQUIRED: {
    grpc: status.INVALID_ARGUMENT,
    exit: 3,
    doc: 'a lookup without a purpose (a case or FIR reference and a known reason code)',
  },
  GRANT_DENIED: {
    grpc: status.PERMISSION_DENIED,
    exit: 4,
    doc: "the caller's lookup grant does not cover that kind, state or reason",
  },
  QUERY_INVALID: {
    grpc: status.INVALID_ARGUMENT,
    exit: 3,
    doc: 'a lookup with absurd parameters (empty name, huge limit, over-long or control text)',
  },
  LOOKUP_REPLAYED: {
    grpc: status.ALREADY_EXISTS,
    exit: 9,
    doc: 'a signed lookup seen before, or issued too long ago',
  },
  RECIPIENT_UNKNOWN: {
    grpc: status.NOT_FOUND,
    exit: 5,
    doc: 'no such station, or its broker does not know its certificate (sealed records need one)',
  },
  RECORD_UNKNOWN: { grpc: status.NOT_FOUND, exit: 5, doc: 'no record with that id' },
  RECORD_FORBIDDEN: {
    grpc: status.PERMISSION_DENIED,
    exit: 4,
    doc: 'only the station that owns a record may change it',
  },
  RECORD_CONFLICT: {
    grpc: status.ABORTED,
    exit: 9,
    doc: 'the record was changed since the version given; read it again',
  },
  AUDIT_TAMPERED: {
    grpc: status.DATA_LOSS,
    exit: 8,
    doc: 'the audit was edited, cut short or rewritten (verification names the entries)',
  },
  AUDIT_WITNESS_REFUSED: {
    grpc: status.DATA_LOSS,
    exit: 8,
    doc: 'the audit witness refused a checkpoint: it does not verify, or it goes back or forks from one the witness holds',
  },
  AUDIT_UNAVAILABLE: {
    grpc: status.NOT_FOUND,
    exit: 5,
    doc: 'no audit in that file (not a broker or console database)',
  },
  STORE_UNAVAILABLE: {
    grpc: status.UNAVAILABLE,
    exit: 5,
    doc: 'the MongoDB store cannot be reached (server down, wrong address or credentials)',
  },
  STORE_FULL: {
    grpc: status.UNAVAILABLE,
    exit: 5,
    doc: "the broker's disk is full: nothing new is stored until space is freed (resend later; what was acknowledged is kept)",
  },
  STORE_BUSY: {
    grpc: status.UNAVAILABLE,
    exit: 5,
    doc: "the broker's database is locked by another process (resend later)",
  },
  STORE_NOT_EMPTY: {
    grpc: status.FAILED_PRECONDITION,
    exit: 4,
    doc: 'an import into a store that already holds data (import only into an empty one)',
  },
  DUMP_INVALID: {
    grpc: status.INVALID_ARGUMENT,
    exit: 3,
    doc: 'a store dump is malformed, out of order or cut short (the line is named), missing, or already there for a new export',
  },
  HOST_CHECK_FAILED: {
    grpc: status.FAILED_PRECONDITION,
    exit: 6,
    doc: '`cctns doctor`: a check of the host failed (each failure is printed with its fix)',
  },
  INTERNAL: {
    grpc: status.INTERNAL,
    exit: 1,
    doc: 'an unexpected fault; details are in the broker log',
  },
} as const;

/** A stable refusal reason of the broker. */
export type BrokerErrorCode = keyof typeof BROKER_ERRORS;

/** An error the broker refuses with; `message` is safe to send to the peer. */
export class BrokerError extends Error {
  override readonly name = 'BrokerError';
  readonly code: BrokerErrorCode;

  constructor(code: BrokerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** The gRPC status code of this refusal. */
  get grpcStatus(): status {
    return BROKER_ERRORS[this.code].grpc;
  }

  /** The CLI exit code of this refusal. */
  get exitCode(): number {
    return BROKER_ERRORS[this.code].exit;
  }
}

/**
 * The refusal for a fault of the embedded store that the peer can wait out (SQLite: disk full,
 * database locked by another process), or undefined for any other error.
 */
export function storeFault(err: unknown): BrokerError | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return undefined;
  if (code === 'SQLITE_FULL')
    return new BrokerError('STORE_FULL', "the broker's disk is full; resend later", { cause: err });
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
    return new BrokerError(
      'STORE_BUSY',
      "the broker's database is locked by another process; resend later",
      { cause: err },
    );
  return undefined;
}
