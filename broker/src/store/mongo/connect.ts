/**
 * What the MongoDB store checks and hides when it connects: the server must be able to run
 * transactions (a replica set or a sharded cluster, MongoDB 5.0 or newer), and a URI's password
 * never reaches a log line or an error message.
 */

/** MongoDB 5.0 (wire version 13): transactions and snapshot reads for a consistent export. */
export const MIN_WIRE_VERSION = 13;

/** The mongoose connection options of the store. */
export const CONNECTION_OPTIONS = {
  // Query selector injection: any object with `$` keys that the store's query builder did not
  // mark as trusted is wrapped in `$eq` (see query.ts).
  sanitizeFilter: true,
  // Collections and indexes are created once, explicitly, at start-up.
  autoIndex: false,
  autoCreate: false,
  // A broker that cannot reach its store should say so within seconds, not hang.
  serverSelectionTimeoutMS: 10_000,
  appName: 'cctns-broker',
  retryWrites: true,
} as const;

/**
 * The connection options for `uri`: the store's own (sanitizeFilter, no automatic indexes) always,
 * the driver defaults above only where the URI does not set them (options given to the driver
 * beside a URI win over the URI's, and an operator's `serverSelectionTimeoutMS=…` should hold).
 */
export function connectionOptions(uri: string): Record<string, unknown> {
  const query = uri.includes('?') ? uri.slice(uri.indexOf('?') + 1) : '';
  const inUri = new Set(
    query
      .split('&')
      .map((p) => p.split('=')[0]!.toLowerCase())
      .filter(Boolean),
  );
  return Object.fromEntries(
    Object.entries(CONNECTION_OPTIONS).filter(
      ([k]) => !DRIVER_DEFAULTS.has(k) || !inUri.has(k.toLowerCase()),
    ),
  );
}

const DRIVER_DEFAULTS = new Set(['serverSelectionTimeoutMS', 'appName', 'retryWrites']);

/** The parts of a `hello` reply that tell the topology. */
export interface HelloReply {
  setName?: unknown;
  msg?: unknown;
  isWritablePrimary?: unknown;
  maxWireVersion?: unknown;
  logicalSessionTimeoutMinutes?: unknown;
}

/**
 * Why a server cannot hold the broker's store, or undefined when it can: it must be a replica
 * set member or a mongos (transactions), and new enough for snapshot reads.
 */
export function topologyProblem(hello: HelloReply): string | undefined {
  const wire = typeof hello.maxWireVersion === 'number' ? hello.maxWireVersion : 0;
  const isMongos = hello.msg === 'isdbgrid';
  const setName = typeof hello.setName === 'string' && hello.setName !== '' ? hello.setName : null;
  if (!isMongos && !setName)
    return (
      'the server is a standalone MongoDB, which cannot run transactions; the broker needs a ' +
      'replica set (one member is enough: start mongod with --replSet rs0 and run ' +
      'rs.initiate()) or a sharded cluster'
    );
  if (
    hello.logicalSessionTimeoutMinutes === undefined ||
    hello.logicalSessionTimeoutMinutes === null
  )
    return 'the server does not support sessions, which transactions need';
  if (wire < MIN_WIRE_VERSION)
    return `the server is older than MongoDB 5.0 (wire version ${wire}); the broker needs 5.0 or newer`;
  if (setName && hello.isWritablePrimary === false)
    return `the server is not the primary of replica set ${setName}; name the replica set (replicaSet=${setName}) or every member in the URI`;
  return undefined;
}

const SECRET_PARAMS =
  /^(password|secret|token|.*_session_token|.*secret.*|authmechanismproperties)$/i;

/**
 * The URI without secrets: the password of `user:password@` and the values of query options
 * that may carry credentials become `****`.
 */
export function redactUri(uri: string): string {
  const m = /^([a-z+]+:\/\/)([^@/?]*@)?([^?]*)(\?.*)?$/i.exec(uri);
  if (!m) return '<unparseable URI>';
  const [, scheme, userinfo = '', rest = '', query = ''] = m;
  const colon = userinfo.indexOf(':');
  const user = colon === -1 ? userinfo : `${userinfo.slice(0, colon)}:****@`;
  const params = query
    ? `?${query
        .slice(1)
        .split('&')
        .map((p) => {
          const eq = p.indexOf('=');
          const key = eq === -1 ? p : p.slice(0, eq);
          return eq !== -1 && SECRET_PARAMS.test(decodeURIComponent(key)) ? `${key}=****` : p;
        })
        .join('&')}`
    : '';
  return `${scheme}${user}${rest}${params}`;
}

/** The secrets a URI holds (its password, decoded and not), to scrub from driver messages. */
export function uriSecrets(uri: string): string[] {
  const m = /^[a-z+]+:\/\/([^@/?]*)@/i.exec(uri);
  const userinfo = m?.[1] ?? '';
  const colon = userinfo.indexOf(':');
  if (colon === -1) return [];
  const raw = userinfo.slice(colon + 1);
  if (raw === '') return [];
  let decoded = raw;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    // keep the raw form only
  }
  return [...new Set([raw, decoded])];
}

/** A message with every secret of `uri` replaced by `****`. */
export function scrub(message: string, uri: string): string {
  let out = message;
  for (const s of uriSecrets(uri)) out = out.split(s).join('****');
  return out;
}

/**
 * The database a broker uses: the one the URI names, else one per broker and replica
 * (`cctns_broker_MH_1`), so that brokers sharing a server never share a database.
 */
export function mongoDatabaseName(uri: string, identity: string, replica: string): string {
  const m = /^mongodb(?:\+srv)?:\/\/[^/?]*\/?([^?]*)/i.exec(uri);
  const named = m?.[1] ? decodeURIComponent(m[1]) : '';
  if (named) return named;
  return `cctns_${identity.replace(/[^A-Za-z0-9]+/g, '_')}_${replica.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

/** Why a MongoDB URI is unusable, or undefined; never repeats the URI (it may hold a password). */
export function mongoUriProblem(uri: string): string | undefined {
  const m = /^mongodb(\+srv)?:\/\/(?:[^@/?\s]*@)?([^/?\s]+)(?:\/([^?\s]*))?(\?\S*)?$/i.exec(uri);
  if (!m)
    return 'must be mongodb://[user:password@]host[:port][,host…]/[database][?options] or mongodb+srv://…';
  const hosts = m[2]!.split(',');
  if (hosts.some((h) => h === '' || !/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9._%-]+)(:\d{1,5})?$/.test(h)))
    return 'has an invalid host list';
  if (m[1] && (hosts.length !== 1 || hosts[0]!.includes(':')))
    return 'mongodb+srv:// takes one host name without a port';
  const db = m[3] ? safeDecode(m[3]) : '';
  if (db !== '' && (db === undefined || !/^[^/\\. "$*<>:|?]{1,63}$/.test(db)))
    return 'names an invalid database (1-63 characters, none of / \\ . " $ * < > : | ?)';
  return undefined;
}

function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}
