import { DEFAULT_CHECKPOINT_ENTRIES, DEFAULT_CHECKPOINT_SECONDS } from '../audit/audit.js';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseIdentity, type Identity } from '@cctns/pki';
import { BrokerError } from '../errors.js';
import { mongoUriProblem } from '../store/mongo/connect.js';

/** A validated, frozen broker configuration. Deeper code never reads the environment. */
export interface BrokerConfig {
  /** `broker/<STATE>` (or `broker/national` once federation lands). */
  identity: string;
  trustDomain: string;
  /** Mutual-TLS gRPC address, `host:port` (port 0 picks a free one). */
  listen: string;
  /** Server-TLS enrollment address, or null to run without network enrollment. */
  enrollListen: string | null;
  /** Health and metrics HTTP address, or null. */
  httpListen: string | null;
  tls: {
    /** The broker's chain (leaf then issuing CA), PEM file. */
    cert: string;
    key: string;
    /** The national root, PEM file. */
    root: string;
    /** Issuing CA certificates besides those peers present. */
    cas: string[];
    /** CRL files, re-read when they change. */
    crls: string[];
  };
  /** A PKI directory with this state's CA: enables enrollment/renewal and live revocation. */
  pkiDir: string | null;
  /** The CA passphrase (from the environment, never from the file). */
  caPassphrase: string | null;
  /**
   * `sqlite:<path>` (absolute), or a MongoDB URI (`mongodb://…` / `mongodb+srv://…`, a replica
   * set) as given: it may hold a password, so log it only through `describeStore`.
   */
  store: string;
  durability: 'normal' | 'full';
  /** Scope policy file (JSON), or null for the built-in default. */
  policy: string | null;
  /** Lookup policy file (who may search what, and why); null: the default policy. */
  lookupPolicy: string | null;
  /** How long a national search waits for each state broker, ms. */
  lookupTimeoutMs: number;
  /** Name of this replica among the brokers of its state: its durable consumer is named after it. */
  replica: string;
  /**
   * The NATS backbone: server URLs; the broker connects with its own certificate (`tls`). Null
   * runs the broker alone on a private in-process backbone.
   */
  nats: { servers: string[]; stream: string; replicas: number } | null;
  /** SMS and email notifications and escalation chains, or null. */
  notify: NotifyConfig | null;
  /**
   * The audit: how often its head is checkpointed (signed: every so many seconds and entries), a
   * file the checkpoints are appended to, and (national broker) where the states' checkpoints it
   * witnesses are kept (default `witness.db` beside an embedded store).
   */
  audit: {
    checkpointSeconds: number;
    checkpointEntries: number;
    checkpointFile: string | null;
    witnessFile: string | null;
  };
  limits: {
    /** Largest signed message accepted, bytes. */
    maxMessageBytes: number;
    /** Messages per second per identity, on average. */
    ratePerSecond: number;
    burst: number;
  };
}

/** Notification settings. Secrets come from the environment only. */
export interface NotifyConfig {
  /** Contact directory file (JSON). */
  contacts: string;
  /** Escalation chains file (JSON). */
  escalation: string;
  /** How often escalation chains are evaluated. */
  tickSeconds: number;
  sms: {
    accountSid: string;
    /** From `CCTNS_TWILIO_AUTH_TOKEN`. */
    authToken: string;
    from: string | null;
    messagingServiceSid: string | null;
    /** The public URL Twilio posts status callbacks to (served at /twilio/status on httpListen). */
    statusCallbackUrl: string | null;
    dltEntityId: string | null;
    dltTemplateId: string | null;
    /** Twilio API base URL; only for tests and proxies. */
    baseUrl: string | null;
    ratePerSecond: number;
  } | null;
  email: {
    host: string;
    port: number;
    secure: boolean;
    requireTLS: boolean;
    user: string | null;
    /** From `CCTNS_SMTP_PASSWORD`. */
    password: string | null;
    from: string;
    ratePerSecond: number;
  } | null;
}

/** Defaults for every optional field. */
export const BROKER_DEFAULTS = {
  trustDomain: 'cctns.local',
  listen: '127.0.0.1:7443',
  enrollListen: null,
  httpListen: '127.0.0.1:9464',
  pkiDir: null,
  policy: null,
  lookupPolicy: null,
  lookupTimeoutMs: 3000,
  replica: '1',
  nats: null,
  store: 'sqlite:broker.db',
  durability: 'normal',
  limits: { maxMessageBytes: 256 * 1024, ratePerSecond: 20, burst: 100 },
} as const;

function bad(field: string, why: string): BrokerError {
  return new BrokerError('CONFIG_INVALID', `config field ${field}: ${why}`);
}

function str(v: unknown, field: string): string {
  if (typeof v !== 'string' || v === '') throw bad(field, 'must be a non-empty string');
  return v;
}

function address(v: unknown, field: string): string {
  const s = str(v, field);
  if (!/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(s) || Number(s.split(':').pop()) > 65535)
    throw bad(field, 'must be host:port');
  return s;
}

function positive(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
    throw bad(field, 'must be a positive number');
  return v;
}

/**
 * Builds a configuration: defaults, then the file's fields, then `CCTNS_BROKER_*` environment
 * overrides (and `MONGODB_URI` for the store); validates once, naming the bad field; resolves paths against the file's folder;
 * freezes the result.
 */
export function brokerConfig(
  input: Record<string, unknown>,
  opts: { baseDir: string; env?: NodeJS.ProcessEnv },
): Readonly<BrokerConfig> {
  const env = opts.env ?? {};
  const file = { ...input } as Record<string, unknown>;
  const pick = (key: string, envKey: string) => env[envKey] ?? file[key];
  const path = (p: string) => (isAbsolute(p) ? p : resolve(opts.baseDir, p));
  const identity = str(pick('identity', 'CCTNS_BROKER_IDENTITY'), 'identity');
  let id: Identity;
  try {
    id = parseIdentity(identity);
  } catch (cause) {
    throw new BrokerError('CONFIG_INVALID', `config field identity: ${(cause as Error).message}`, {
      cause,
    });
  }
  if (id.kind !== 'broker') throw bad('identity', 'must be a broker identity such as broker/MH');
  const tls = (file['tls'] ?? {}) as Record<string, unknown>;
  const limits = { ...BROKER_DEFAULTS.limits, ...((file['limits'] ?? {}) as object) } as Record<
    string,
    unknown
  >;
  const enroll = pick('enrollListen', 'CCTNS_BROKER_ENROLL_LISTEN') ?? BROKER_DEFAULTS.enrollListen;
  // An explicit null (what `cctns broker init --http-listen ""` writes) turns the endpoint off.
  const httpGiven = pick('httpListen', 'CCTNS_BROKER_HTTP_LISTEN');
  const http = httpGiven === undefined ? BROKER_DEFAULTS.httpListen : httpGiven;
  const pkiDir = pick('pkiDir', 'CCTNS_PKI_DIR') ?? BROKER_DEFAULTS.pkiDir;
  // The broker's own variable wins, then MONGODB_URI (the usual name where MongoDB is
  // provisioned), then the file.
  const store = str(
    env['CCTNS_BROKER_STORE'] || env['MONGODB_URI'] || file['store'] || BROKER_DEFAULTS.store,
    'store',
  );
  const mongo = /^mongodb(\+srv)?:\/\//i.test(store);
  if (!store.startsWith('sqlite:') && !mongo)
    // The value is not repeated: a mistyped URI may still hold a password.
    throw bad('store', 'must be sqlite:<path> or a mongodb:// or mongodb+srv:// URI');
  if (store === 'sqlite:') throw bad('store', 'sqlite: needs a file name');
  const uriProblem = mongo ? mongoUriProblem(store) : undefined;
  if (uriProblem) throw bad('store', `the MongoDB URI ${uriProblem}`);
  const durability = pick('durability', 'CCTNS_BROKER_DURABILITY') ?? BROKER_DEFAULTS.durability;
  const policy = pick('policy', 'CCTNS_BROKER_POLICY') ?? BROKER_DEFAULTS.policy;
  const replica = String(pick('replica', 'CCTNS_BROKER_REPLICA') ?? BROKER_DEFAULTS.replica);
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(replica))
    throw bad('replica', 'must be 1-32 letters, digits, _ or -');
  const natsEnv = env['CCTNS_BROKER_NATS'];
  const natsFile = file['nats'] as
    { servers?: unknown; stream?: unknown; replicas?: unknown } | null | undefined;
  let nats: BrokerConfig['nats'] = null;
  if (natsEnv)
    nats = {
      servers: natsEnv
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      stream: 'CCTNS',
      replicas: 1,
    };
  else if (natsFile) {
    const servers = Array.isArray(natsFile.servers) ? natsFile.servers : [natsFile.servers];
    if (
      servers.length === 0 ||
      servers.some((x) => typeof x !== 'string' || !/^(nats|tls):\/\/[^\s]+$|^[^\s/]+:\d+$/.test(x))
    ) {
      throw bad('nats.servers', 'must be one or more nats://host:port URLs');
    }
    const stream = natsFile.stream ?? 'CCTNS';
    if (typeof stream !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(stream))
      throw bad('nats.stream', 'must be a stream name');
    const replicas = natsFile.replicas ?? 1;
    if (replicas !== 1 && replicas !== 3 && replicas !== 5)
      throw bad('nats.replicas', 'must be 1, 3 or 5 (the stream replicas in a NATS cluster)');
    nats = { servers: servers as string[], stream, replicas };
  }
  if (durability !== 'normal' && durability !== 'full')
    throw bad('durability', "must be 'normal' or 'full'");
  const state = id.state === 'national' ? 'CENTRAL' : id.state;
  const notify = notifyConfig(file['notify'], env, path);
  const audit = (file['audit'] ?? {}) as Record<string, unknown>;
  if (typeof audit !== 'object' || Array.isArray(audit)) throw bad('audit', 'must be an object');
  const config: BrokerConfig = {
    identity,
    trustDomain: str(
      pick('trustDomain', 'CCTNS_TRUST_DOMAIN') ?? BROKER_DEFAULTS.trustDomain,
      'trustDomain',
    ),
    listen: address(pick('listen', 'CCTNS_BROKER_LISTEN') ?? BROKER_DEFAULTS.listen, 'listen'),
    enrollListen: enroll === null || enroll === '' ? null : address(enroll, 'enrollListen'),
    httpListen: http === null || http === '' ? null : address(http, 'httpListen'),
    tls: {
      cert: path(str(tls['cert'], 'tls.cert')),
      key: path(str(tls['key'], 'tls.key')),
      root: path(str(tls['root'], 'tls.root')),
      cas: ((tls['cas'] ?? []) as unknown[]).map((c, i) => path(str(c, `tls.cas[${i}]`))),
      crls: ((tls['crls'] ?? []) as unknown[]).map((c, i) => path(str(c, `tls.crls[${i}]`))),
    },
    pkiDir: pkiDir === null || pkiDir === '' ? null : path(str(pkiDir, 'pkiDir')),
    caPassphrase: env[`CCTNS_CA_PASSPHRASE_${state}`] ?? env['CCTNS_CA_PASSPHRASE'] ?? null,
    store: mongo ? store : `sqlite:${path(store.slice('sqlite:'.length))}`,
    durability,
    policy: policy === null || policy === '' ? null : path(str(policy, 'policy')),
    lookupPolicy:
      file['lookupPolicy'] === undefined || file['lookupPolicy'] === null
        ? null
        : path(str(file['lookupPolicy'], 'lookupPolicy')),
    lookupTimeoutMs:
      file['lookupTimeoutMs'] === undefined
        ? BROKER_DEFAULTS.lookupTimeoutMs
        : positive(file['lookupTimeoutMs'], 'lookupTimeoutMs'),
    replica,
    nats,
    notify,
    audit: {
      checkpointSeconds:
        audit['checkpointSeconds'] === undefined
          ? DEFAULT_CHECKPOINT_SECONDS
          : positive(audit['checkpointSeconds'], 'audit.checkpointSeconds'),
      checkpointEntries:
        audit['checkpointEntries'] === undefined
          ? DEFAULT_CHECKPOINT_ENTRIES
          : positive(audit['checkpointEntries'], 'audit.checkpointEntries'),
      checkpointFile:
        audit['checkpointFile'] === undefined || audit['checkpointFile'] === null
          ? null
          : path(str(audit['checkpointFile'], 'audit.checkpointFile')),
      witnessFile:
        audit['witnessFile'] === undefined || audit['witnessFile'] === null
          ? null
          : path(str(audit['witnessFile'], 'audit.witnessFile')),
    },

    limits: {
      maxMessageBytes: positive(limits['maxMessageBytes'], 'limits.maxMessageBytes'),
      ratePerSecond: positive(limits['ratePerSecond'], 'limits.ratePerSecond'),
      burst: positive(limits['burst'], 'limits.burst'),
    },
  };
  for (const [field, p] of [
    ['tls.cert', config.tls.cert],
    ['tls.key', config.tls.key],
    ['tls.root', config.tls.root],
  ] as const) {
    if (!existsSync(p)) throw bad(field, `file ${p} does not exist`);
  }
  if (config.pkiDir && !config.caPassphrase)
    throw bad(
      'pkiDir',
      `needs the CA passphrase in CCTNS_CA_PASSPHRASE_${state} or CCTNS_CA_PASSPHRASE`,
    );
  Object.freeze(config.tls.cas);
  Object.freeze(config.tls.crls);
  Object.freeze(config.tls);
  Object.freeze(config.limits);
  if (config.nats) Object.freeze(config.nats);
  return Object.freeze(config);
}

function notifyConfig(
  raw: unknown,
  env: NodeJS.ProcessEnv,
  path: (p: string) => string,
): NotifyConfig | null {
  if (raw === undefined || raw === null) return null;
  const n = raw as Record<string, unknown>;
  const opt = (v: unknown, field: string) =>
    v === undefined || v === null || v === '' ? null : str(v, field);
  const rate = (v: unknown, field: string, def: number) =>
    v === undefined ? def : positive(v, field);
  let sms: NotifyConfig['sms'] = null;
  if (n['sms']) {
    const s = n['sms'] as Record<string, unknown>;
    const authToken = env['CCTNS_TWILIO_AUTH_TOKEN'];
    if (!authToken)
      throw bad(
        'notify.sms',
        'needs the Twilio auth token in CCTNS_TWILIO_AUTH_TOKEN (never in the file)',
      );
    sms = {
      accountSid: str(s['accountSid'], 'notify.sms.accountSid'),
      authToken,
      from: opt(s['from'], 'notify.sms.from'),
      messagingServiceSid: opt(s['messagingServiceSid'], 'notify.sms.messagingServiceSid'),
      statusCallbackUrl: opt(s['statusCallbackUrl'], 'notify.sms.statusCallbackUrl'),
      dltEntityId: opt(s['dltEntityId'], 'notify.sms.dltEntityId'),
      dltTemplateId: opt(s['dltTemplateId'], 'notify.sms.dltTemplateId'),
      baseUrl: opt(s['baseUrl'], 'notify.sms.baseUrl'),
      ratePerSecond: rate(s['ratePerSecond'], 'notify.sms.ratePerSecond', 1),
    };
    if (!sms.from && !sms.messagingServiceSid)
      throw bad('notify.sms', 'needs from (a sender) or messagingServiceSid');
  }
  let email: NotifyConfig['email'] = null;
  if (n['email']) {
    const e = n['email'] as Record<string, unknown>;
    email = {
      host: str(e['host'], 'notify.email.host'),
      port: positive(e['port'], 'notify.email.port'),
      secure: Boolean(e['secure']),
      requireTLS: Boolean(e['requireTLS']),
      user: opt(e['user'], 'notify.email.user'),
      password: env['CCTNS_SMTP_PASSWORD'] ?? null,
      from: str(e['from'], 'notify.email.from'),
      ratePerSecond: rate(e['ratePerSecond'], 'notify.email.ratePerSecond', 5),
    };
  }
  return {
    contacts: path(str(n['contacts'], 'notify.contacts')),
    escalation: path(str(n['escalation'], 'notify.escalation')),
    tickSeconds: rate(n['tickSeconds'], 'notify.tickSeconds', 15),
    sms,
    email,
  };
}

/** Reads a JSON config file and builds the configuration from it. */
export function loadBrokerConfig(file: string, env: NodeJS.ProcessEnv): Readonly<BrokerConfig> {
  let input: Record<string, unknown>;
  try {
    input = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (cause) {
    throw new BrokerError(
      'CONFIG_INVALID',
      `cannot read config ${file}: ${(cause as Error).message}`,
      { cause },
    );
  }
  return brokerConfig(input, { baseDir: dirname(resolve(file)), env });
}
