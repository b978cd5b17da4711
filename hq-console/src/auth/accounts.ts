import { chmodSync } from 'node:fs';
import { isStateCode } from '@cctns/pki';
import Database from 'better-sqlite3';
import { ConsoleError } from './errors.js';
import { hashPassword, MIN_PASSWORD_LENGTH, verifyPassword } from './passwords.js';
import { newTotpSecret, otpauthUri, verifyTotp } from './totp.js';

/** What an operator may do: look, broadcast in scope, or administer accounts. */
export const ROLES = ['viewer', 'duty-officer', 'administrator'] as const;
/** One of the operator roles. */
export type OperatorRole = (typeof ROLES)[number];

/** An HQ operator (their console identity is `hq/<scope>/<username>`). */
export interface Operator {
  username: string;
  role: OperatorRole;
  /** `national`, or the State/UT code of a state HQ. */
  scope: string;
  locked: boolean;
  createdAt: Date;
}

/** Failed sign-ins within this window lock an account at the threshold. */
export const LOCKOUT = { failures: 5, windowMs: 15 * 60_000 } as const;

const USERNAME = /^[a-z0-9](?:[a-z0-9._-]{0,30}[a-z0-9])?$/;
const SCHEMA = `
CREATE TABLE IF NOT EXISTS operators (
  username TEXT PRIMARY KEY,
  role TEXT NOT NULL,
  scope TEXT NOT NULL,
  password TEXT NOT NULL,
  totp_secret TEXT NOT NULL,
  locked_at INTEGER,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS failures (username TEXT NOT NULL, at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS failures_user ON failures (username, at);
`;

interface Row {
  username: string;
  role: OperatorRole;
  scope: string;
  password: string;
  totp_secret: string;
  locked_at: number | null;
  created_at: number;
}

const toOperator = (r: Row): Operator => ({
  username: r.username,
  role: r.role,
  scope: r.scope,
  locked: r.locked_at !== null,
  createdAt: new Date(r.created_at),
});

/**
 * Operator accounts (SQLite, file mode 0600): scrypt password hashes, TOTP secrets, failed
 * sign-ins and locks. A wrong password, a wrong code and an unknown username give the same
 * answer, in about the same time.
 */
export class Accounts {
  private readonly db: Database.Database;
  private readonly dummyHash: Promise<string>;

  constructor(path: string) {
    this.db = new Database(path);
    chmodSync(path, 0o600);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    this.dummyHash = hashPassword('not a real password, used to spend equal time');
  }

  private row(username: string): Row | undefined {
    return this.db.prepare('SELECT * FROM operators WHERE username = ?').get(username) as
      Row | undefined;
  }

  /** Creates an operator; returns the TOTP secret and the URI to enrol it in an authenticator app. */
  async add(args: {
    username: string;
    role: string;
    scope: string;
    password: string;
    now: Date;
  }): Promise<{ operator: Operator; totpSecret: string; otpauth: string }> {
    if (!USERNAME.test(args.username))
      throw new ConsoleError(
        'INPUT_INVALID',
        'username must be 1-32 lower-case letters, digits and inner . _ -',
      );
    if (!(ROLES as readonly string[]).includes(args.role))
      throw new ConsoleError('INPUT_INVALID', `role must be one of ${ROLES.join(', ')}`);
    if (args.scope !== 'national' && !isStateCode(args.scope))
      throw new ConsoleError('INPUT_INVALID', 'scope must be national or a State/UT code');
    if (args.password.length < MIN_PASSWORD_LENGTH)
      throw new ConsoleError(
        'INPUT_INVALID',
        `the password must have at least ${MIN_PASSWORD_LENGTH} characters`,
      );
    if (this.row(args.username))
      throw new ConsoleError('USER_EXISTS', `operator ${args.username} already exists`);
    const totpSecret = newTotpSecret();
    const password = await hashPassword(args.password);
    this.db
      .prepare(
        'INSERT INTO operators (username, role, scope, password, totp_secret, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(args.username, args.role, args.scope, password, totpSecret, args.now.getTime());
    return {
      operator: toOperator(this.row(args.username)!),
      totpSecret,
      otpauth: otpauthUri(totpSecret, `hq/${args.scope}/${args.username}`),
    };
  }

  /** Checks password and code; records failures and locks at the threshold. */
  async signIn(args: {
    username: string;
    password: string;
    code: string;
    now: Date;
  }): Promise<Operator> {
    const row = this.row(args.username);
    if (!row) {
      await verifyPassword(args.password, await this.dummyHash);
      throw new ConsoleError('AUTH_FAILED', 'wrong username, password or code');
    }
    if (row.locked_at !== null)
      throw new ConsoleError(
        'ACCOUNT_LOCKED',
        'this account is locked after repeated failed sign-ins; ask an administrator to unlock it',
      );
    const passwordOk = await verifyPassword(args.password, row.password);
    const codeOk = verifyTotp(row.totp_secret, args.code, args.now);
    if (passwordOk && codeOk) {
      this.db.prepare('DELETE FROM failures WHERE username = ?').run(args.username);
      return toOperator(row);
    }
    const locked = this.db
      .transaction(() => {
        this.db
          .prepare('INSERT INTO failures (username, at) VALUES (?, ?)')
          .run(args.username, args.now.getTime());
        const recent = (
          this.db
            .prepare('SELECT COUNT(*) AS n FROM failures WHERE username = ? AND at > ?')
            .get(args.username, args.now.getTime() - LOCKOUT.windowMs) as { n: number }
        ).n;
        if (recent >= LOCKOUT.failures)
          this.db
            .prepare('UPDATE operators SET locked_at = ? WHERE username = ?')
            .run(args.now.getTime(), args.username);
        return recent >= LOCKOUT.failures;
      })
      .immediate();
    if (locked)
      throw new ConsoleError(
        'ACCOUNT_LOCKED',
        'too many failed sign-ins: this account is now locked; ask an administrator to unlock it',
      );
    throw new ConsoleError('AUTH_FAILED', 'wrong username, password or code');
  }

  /** An operator by username; throws USER_UNKNOWN. */
  get(username: string): Operator {
    const row = this.row(username);
    if (!row) throw new ConsoleError('USER_UNKNOWN', `no operator ${username}`);
    return toOperator(row);
  }

  /** All operators. */
  list(): Operator[] {
    return (this.db.prepare('SELECT * FROM operators ORDER BY username').all() as Row[]).map(
      toOperator,
    );
  }

  /** Locks an account (an administrator's act). */
  lock(username: string, now: Date): void {
    this.get(username);
    this.db
      .prepare('UPDATE operators SET locked_at = COALESCE(locked_at, ?) WHERE username = ?')
      .run(now.getTime(), username);
  }

  /** Unlocks an account and forgets its failed sign-ins. */
  unlock(username: string): void {
    this.get(username);
    this.db.transaction(() => {
      this.db.prepare('UPDATE operators SET locked_at = NULL WHERE username = ?').run(username);
      this.db.prepare('DELETE FROM failures WHERE username = ?').run(username);
    })();
  }

  /** Gives an operator a new TOTP secret (a lost phone); returns it with its URI. */
  resetTotp(username: string): { totpSecret: string; otpauth: string } {
    const op = this.get(username);
    const totpSecret = newTotpSecret();
    this.db
      .prepare('UPDATE operators SET totp_secret = ? WHERE username = ?')
      .run(totpSecret, username);
    return { totpSecret, otpauth: otpauthUri(totpSecret, `hq/${op.scope}/${username}`) };
  }

  close(): void {
    this.db.close();
  }
}
