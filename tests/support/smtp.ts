/**
 * A real SMTP server (the `smtp-server` package) on loopback for provider tests: it records what
 * arrives, decodes enough MIME to check subjects and bodies, and can refuse recipients or
 * messages with a chosen reply code.
 */
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import type { AddressInfo } from 'node:net';

/** One message as the server received it. */
export interface ReceivedMail {
  envelope: { from: string; to: string[] };
  /** The message exactly as sent after DATA (dot-stuffing removed), as UTF-8 text. */
  raw: string;
  /** Top-level headers, lower-case names, unfolded, encoded-words decoded. */
  headers: Record<string, string>;
  subject: string;
  /** The text/plain body, transfer encoding and charset decoded. */
  text: string;
  /** The user the client authenticated as, if it did. */
  user?: string;
  /** Whether the session had been upgraded with STARTTLS. */
  secure: boolean;
}

/** Where a refusal from {@link SmtpTestServer.failNext} is given. */
export type SmtpStage = 'RCPT' | 'DATA';

/** A running test SMTP server. */
export interface SmtpTestServer {
  host: string;
  port: number;
  /** Messages accepted, oldest first. */
  messages: ReceivedMail[];
  /**
   * Answers the next `n` RCPT TO commands (or the next `n` messages at the end of DATA) with
   * `code` (e.g. 451 or 550) instead of accepting them.
   */
  failNext(n: number, code: number, at?: SmtpStage): void;
  stop(): Promise<void>;
}

/**
 * Starts an SMTP server on a free 127.0.0.1 port. Plain SMTP by default (STARTTLS off); with
 * `starttls` it offers STARTTLS, with `tls` as its key and certificate (PEM) or else
 * smtp-server's built-in self-signed one. With `auth`, clients must log in with those
 * credentials (AUTH PLAIN/LOGIN, allowed without TLS).
 */
export async function startSmtp(
  opts: {
    auth?: { user: string; pass: string };
    starttls?: boolean;
    tls?: { key: string; cert: string };
  } = {},
): Promise<SmtpTestServer> {
  const messages: ReceivedMail[] = [];
  const failures: Record<SmtpStage, number[]> = { RCPT: [], DATA: [] };
  const refuse = (at: SmtpStage): Error | undefined => {
    const code = failures[at].shift();
    if (code === undefined) return undefined;
    const text = code >= 500 ? 'Requested action not taken: refused' : 'Try again later';
    return Object.assign(new Error(`${text} (test)`), { responseCode: code });
  };

  const options: SMTPServerOptions = {
    secure: false,
    logger: false,
    disabledCommands: opts.starttls ? [] : ['STARTTLS'],
    authOptional: !opts.auth,
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    closeTimeout: 200,
    ...(opts.tls ? { key: opts.tls.key, cert: opts.tls.cert } : {}),
    onAuth(auth, _session, callback) {
      if (opts.auth && auth.username === opts.auth.user && auth.password === opts.auth.pass)
        return callback(null, { user: auth.username });
      callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onRcptTo(_address, _session, callback) {
      callback(refuse('RCPT'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const failure = refuse('DATA');
        if (failure) return callback(failure);
        const mail = parseMail(Buffer.concat(chunks));
        messages.push({
          envelope: {
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
          },
          ...mail,
          ...(typeof session.user === 'string' ? { user: session.user } : {}),
          secure: session.secure,
        });
        callback();
      });
    },
  };
  const server = new SMTPServer(options);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  // Connection errors (a client hanging up mid-session) are expected in failure tests.
  server.on('error', () => undefined);
  const { port } = server.server.address() as AddressInfo;

  return {
    host: '127.0.0.1',
    port,
    messages,
    failNext(n, code, at = 'DATA') {
      for (let i = 0; i < n; i++) failures[at].push(code);
    },
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/**
 * Just enough MIME for tests: top-level headers, RFC 2047 encoded-words, and the text/plain part
 * of a single-part or (nested) multipart message in 7bit, 8bit, base64 or quoted-printable.
 * The message is handled as latin1 so every byte survives until a charset is applied.
 */
export function parseMail(raw: Buffer): Omit<ReceivedMail, 'envelope' | 'user' | 'secure'> {
  const part = parsePart(raw.toString('latin1'));
  return {
    raw: raw.toString('utf8'),
    headers: part.headers,
    subject: part.headers['subject'] ?? '',
    text: textOf(part) ?? '',
  };
}

interface Part {
  headers: Record<string, string>;
  body: string;
}

function parsePart(latin1: string): Part {
  const split = latin1.search(/\r?\n\r?\n/);
  const head = split < 0 ? latin1 : latin1.slice(0, split);
  const body = split < 0 ? '' : latin1.slice(split).replace(/^\r?\n\r?\n/, '');
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!(name in headers)) headers[name] = decodeHeader(line.slice(colon + 1).trim());
  }
  return { headers, body };
}

function textOf(part: Part): string | undefined {
  const type = part.headers['content-type'] ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (/^multipart\//i.test(type) && boundary) {
    for (const chunk of part.body.split(`--${boundary}`).slice(1)) {
      if (chunk.startsWith('--')) break;
      const text = textOf(parsePart(chunk.replace(/^\r?\n/, '')));
      if (text !== undefined) return text;
    }
    return undefined;
  }
  if (!/^text\/plain/i.test(type)) return undefined;
  const charset = /charset="?([^";]+)"?/i.exec(type)?.[1] ?? 'us-ascii';
  const cte = (part.headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  const bytes =
    cte === 'base64'
      ? Buffer.from(part.body, 'base64')
      : cte === 'quoted-printable'
        ? decodeQuotedPrintable(part.body)
        : Buffer.from(part.body, 'latin1');
  return new TextDecoder(charset).decode(bytes).replace(/\r\n$/, '');
}

function decodeQuotedPrintable(latin1: string): Buffer {
  const s = latin1.replace(/=\r?\n/g, '');
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const hex = s[i] === '=' ? /^[0-9A-Fa-f]{2}/.exec(s.slice(i + 1, i + 3)) : null;
    if (hex) {
      out.push(parseInt(hex[0], 16));
      i += 2;
    } else out.push(s.charCodeAt(i) & 0xff);
  }
  return Buffer.from(out);
}

/**
 * Decodes RFC 2047 encoded-words. Adjacent words are joined (the whitespace between them is not
 * text) and decoded as one byte run, since an encoder may split a multi-byte character across
 * two words. Raw 8-bit header text is taken as UTF-8.
 */
function decodeHeader(latin1: string): string {
  const word = /=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g;
  const joined = latin1.replace(/(\?=)\s+(?==\?)/g, '$1');
  let out = '';
  let last = 0;
  let run: Buffer[] = [];
  let runCharset = 'utf-8';
  const flush = () => {
    if (run.length) out += new TextDecoder(runCharset).decode(Buffer.concat(run));
    run = [];
  };
  for (let m = word.exec(joined); m; m = word.exec(joined)) {
    const [all, charset = 'utf-8', enc = 'B', data = ''] = m;
    if (m.index > last) {
      flush();
      out += Buffer.from(joined.slice(last, m.index), 'latin1').toString('utf8');
    }
    if (charset.toLowerCase() !== runCharset) flush();
    runCharset = charset.toLowerCase();
    run.push(
      enc.toUpperCase() === 'B'
        ? Buffer.from(data, 'base64')
        : decodeQuotedPrintable(data.replace(/_/g, ' ')),
    );
    last = m.index + all.length;
  }
  flush();
  return out + Buffer.from(joined.slice(last), 'latin1').toString('utf8');
}
