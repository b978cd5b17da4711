/** The console's error catalogue: stable code, CLI exit code, meaning (documented in README). */
export const CONSOLE_ERROR_CODES = {
  AUTH_FAILED: { exit: 4, doc: 'wrong username, password or code (which one is not said)' },
  ACCOUNT_LOCKED: {
    exit: 4,
    doc: 'five failed sign-ins in 15 minutes locked the account; an administrator must unlock it',
  },
  SESSION_INVALID: { exit: 4, doc: 'no session, or one that was not issued by this console' },
  SESSION_EXPIRED: { exit: 4, doc: 'the session was idle for 30 minutes; sign in again' },
  FORBIDDEN: { exit: 4, doc: 'the operator’s role or state does not allow this' },
  USER_EXISTS: { exit: 9, doc: 'an operator with that username already exists' },
  USER_UNKNOWN: { exit: 5, doc: 'no operator with that username' },
  INPUT_INVALID: { exit: 3, doc: 'an option or field is invalid' },
  NOT_FOUND: { exit: 5, doc: 'no such alert, broadcast or page' },
  CONFLICT: { exit: 9, doc: 'the broadcast was already approved or rejected' },
  BROKER_UNAVAILABLE: {
    exit: 5,
    doc: 'the broker did not answer, or refused (its reason is in the message)',
  },
  PORT_IN_USE: {
    exit: 9,
    doc: '`cctns up`: a port of the port base is taken (named); nothing was created',
  },
  DATA_IN_USE: {
    exit: 9,
    doc: '`cctns up`: another running `cctns up` holds the data folder (its pid is named)',
  },
} as const;

/** One of the console's stable error codes. */
export type ConsoleErrorCode = keyof typeof CONSOLE_ERROR_CODES;

/** An error of the HQ console; `message` is safe to show to the operator. */
export class ConsoleError extends Error {
  override readonly name = 'ConsoleError';
  readonly code: ConsoleErrorCode;

  constructor(code: ConsoleErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** The CLI exit code. */
  get exitCode(): number {
    return CONSOLE_ERROR_CODES[this.code].exit;
  }
}
