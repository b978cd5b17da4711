/** The agent's error catalogue: stable code, exit code and meaning (documented in README.md). */
export const AGENT_ERROR_CODES = {
  INPUT_INVALID: { exit: 3, doc: 'an option, file or alert field is invalid' },
  NOT_ENROLLED: {
    exit: 5,
    doc: 'the agent directory has no certificate yet (run `cctns agent enroll`)',
  },
  ALREADY_ENROLLED: { exit: 9, doc: 'the agent directory already holds a key and certificate' },
  ALERT_NOT_FOUND: { exit: 5, doc: 'no alert with that id in the inbox or among sent alerts' },
  ENROLL_FAILED: { exit: 4, doc: 'the broker refused enrollment (the CA code says why)' },
  BROKER_UNREACHABLE: { exit: 5, doc: 'the broker could not be reached' },
  BROKER_UNTRUSTED: { exit: 6, doc: "the broker's certificate is not a broker of this PKI" },
  RECIPIENT_INVALID: {
    exit: 6,
    doc: "the directory's certificate for the recipient does not verify, or is another station's",
  },
  SEALED_INVALID: {
    exit: 6,
    doc: 'a sealed case record that this station cannot open, or whose signature or addressing is wrong',
  },
  APPROVAL_INVALID: {
    exit: 6,
    doc: 'a draft or approval that does not verify here, or an officer approving their own alert',
  },
  APPROVAL_PENDING: {
    exit: 5,
    doc: 'no second officer approved the draft within the wait; it stays at the broker until approved or stale',
  },
  STORE_UNAVAILABLE: {
    exit: 5,
    doc: "the station's database cannot be written: its disk is full or another process holds it locked (nothing was queued; try again)",
  },
} as const;

/** One of the agent's stable error codes. */
export type AgentErrorCode = keyof typeof AGENT_ERROR_CODES;

/** An error of the station agent; `message` is for the officer. */
export class AgentError extends Error {
  override readonly name = 'AgentError';
  readonly code: AgentErrorCode;

  constructor(code: AgentErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** The CLI exit code. */
  get exitCode(): number {
    return AGENT_ERROR_CODES[this.code].exit;
  }
}
