import { BrokerError } from '../errors.js';

/** What `natsServerConfig` needs: where to listen, where JetStream keeps its files, the TLS material. */
export interface NatsServerConfigOptions {
  /** Client address, `host:port` (e.g. `0.0.0.0:4222`). */
  listen: string;
  /** JetStream store directory; give an absolute path (nats-server resolves relative ones against its working directory). */
  storeDir: string;
  /**
   * The server's TLS material (absolute paths): `ca` is the deployment's root certificate, which
   * every client certificate must chain to; `cert` (leaf + issuing CA) and `key` are a broker
   * certificate such as `cctns broker init` issues (broker certificates carry serverAuth and
   * clientAuth, and the names the clients dial).
   */
  tls: { ca: string; cert: string; key: string };
  /** JetStream memory store limit, nats-server size syntax (`256MB`, `1GB`). Default 256MB. */
  maxMemory?: string;
  /** JetStream file store limit, nats-server size syntax. Default 10GB. */
  maxFile?: string;
  /** Unique server name; required once servers form a cluster. Letters, digits, `-`, `_`, `.`. */
  serverName?: string;
  /**
   * Clustering (3 servers for a state, so the stream can keep 3 replicas): the cluster's name
   * (the same on every member), the address other members connect to, and their addresses
   * (`host:port`, this server's own may be among them). Routes use the same mutual TLS.
   */
  cluster?: { name: string; listen: string; routes: string[] };
}

const SIZE = /^\d+\s*(?:[KMGT]B?)?$/i;
const SERVER_NAME = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * A nats-server (2.9 or later) configuration for the CCTNS backbone: mutual TLS against the
 * deployment's root (no client without a certificate of this PKI gets in), JetStream with a file
 * store, and limits sized for signed alerts. The text is self-describing: every block carries a
 * comment saying why it is there, because operators edit this file by hand (clustering, limits).
 */
export function natsServerConfig(opts: NatsServerConfigOptions): string {
  const listen = parseListen(opts.listen);
  const maxMemory = opts.maxMemory ?? '256MB';
  const maxFile = opts.maxFile ?? '10GB';
  for (const [what, v] of [
    ['maxMemory', maxMemory],
    ['maxFile', maxFile],
  ] as const)
    if (!SIZE.test(v))
      throw new BrokerError(
        'CONFIG_INVALID',
        `${what} "${v}" is not a nats-server size (e.g. 512MB, 10GB)`,
      );
  if (opts.cluster) {
    if (opts.serverName === undefined)
      throw new BrokerError('CONFIG_INVALID', 'a cluster member needs a unique server name');
    if (!SERVER_NAME.test(opts.cluster.name))
      throw new BrokerError(
        'CONFIG_INVALID',
        `cluster name "${opts.cluster.name}" may only contain letters, digits, ".", "_" and "-"`,
      );
    parseListen(opts.cluster.listen);
    if (opts.cluster.routes.length === 0)
      throw new BrokerError('CONFIG_INVALID', 'a cluster needs the routes of its other members');
    for (const r of opts.cluster.routes) parseListen(r);
  }
  if (opts.serverName !== undefined && !SERVER_NAME.test(opts.serverName))
    throw new BrokerError(
      'CONFIG_INVALID',
      `server name "${opts.serverName}" may only contain letters, digits, ".", "_" and "-"`,
    );
  for (const [what, v] of [
    ['store directory', opts.storeDir],
    ['TLS CA file', opts.tls.ca],
    ['TLS certificate file', opts.tls.cert],
    ['TLS key file', opts.tls.key],
  ] as const)
    if (!v || /[\n\r]/.test(v))
      throw new BrokerError('CONFIG_INVALID', `the ${what} path is empty or has a line break`);

  const lines = [
    '# nats-server configuration for the CCTNS alert network backbone.',
    '# Written by `cctns broker nats-config`; start it with `nats-server -c <this file>`.',
    '# Brokers connect with their broker certificate and keep the CCTNS stream (subjects',
    '# cctns.v1.>) here; the stream itself is created by the brokers on first connection.',
    '',
    ...(opts.serverName !== undefined
      ? [
          '# A unique name per server: JetStream uses it to tell cluster members apart.',
          `server_name: ${q(opts.serverName)}`,
          '',
        ]
      : []),
    '# Where brokers connect. Nothing else listens: no HTTP monitoring port, no plain-text port.',
    `listen: ${q(listen)}`,
    '',
    '# Mutual TLS. The server presents a broker certificate; `verify: true` makes a client',
    "# certificate chaining to the deployment's root mandatory, so only holders of a certificate",
    '# of this PKI (brokers) can publish to or read the backbone. Revocation is enforced by the',
    '# brokers, which verify every signed message they receive, not by this server.',
    'tls {',
    `  ca_file: ${q(opts.tls.ca)}`,
    `  cert_file: ${q(opts.tls.cert)}`,
    `  key_file: ${q(opts.tls.key)}`,
    '  verify: true',
    '  # Seconds a client has to complete the handshake; RSA handshakes over slow links need a margin.',
    '  timeout: 5',
    '}',
    '',
    ...(opts.cluster
      ? [
          '# Clustering. Members route to each other over the same mutual TLS (each presents its',
          '# certificate and requires one of this PKI). With three members JetStream keeps the CCTNS',
          '# stream at 3 replicas (brokers set `nats.replicas: 3`): a message is acknowledged once a',
          '# majority (2) holds it, and the stream and the durable consumers keep working while any',
          '# one member is down. List every member in `routes`; its own address there is ignored.',
          'cluster {',
          `  name: ${q(opts.cluster.name)}`,
          `  listen: ${q(opts.cluster.listen)}`,
          '  routes: [',
          ...opts.cluster.routes.map((r) => `    ${q(`tls://${r}`)}`),
          '  ]',
          '  tls {',
          `    ca_file: ${q(opts.tls.ca)}`,
          `    cert_file: ${q(opts.tls.cert)}`,
          `    key_file: ${q(opts.tls.key)}`,
          '    verify: true',
          '    timeout: 5',
          '  }',
          '}',
          '',
        ]
      : []),
    '# JetStream: persistence, deduplication and durable consumers. The file store must be on a',
    '# local disk that survives restarts; brokers resume from their acknowledged position in it.',
    'jetstream {',
    `  store_dir: ${q(opts.storeDir)}`,
    '  # For memory-backed streams only; the CCTNS stream and its consumers are file-backed.',
    `  max_memory_store: ${maxMemory}`,
    '  # Upper bound on disk use; the stream also ages messages out (30 days by default).',
    `  max_file_store: ${maxFile}`,
    '}',
    '',
    '# Limits. A signed alert (JWS with its certificate chain) is far below 1MB; refusing',
    '# larger payloads keeps a misbehaving client from filling the store.',
    'max_payload: 1MB',
    '# Bytes buffered for a slow client before it is disconnected (it reconnects and resumes).',
    'max_pending: 64MB',
    '# Brokers are few; a generous cap still stops a connection flood.',
    'max_connections: 1024',
    '# Detect dead connections within about a minute so brokers fail over promptly.',
    'ping_interval: "20s"',
    'ping_max: 3',
    'write_deadline: "10s"',
    '',
  ];
  return lines.join('\n');
}

/** Checks `host:port` (host may be an IPv6 address in brackets) and returns it unchanged. */
function parseListen(listen: string): string {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(listen);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !(port > 0 && port < 65536))
    throw new BrokerError(
      'CONFIG_INVALID',
      `listen address "${listen}" is not host:port (e.g. 0.0.0.0:4222)`,
    );
  return listen;
}

/** A double-quoted nats-server config string (its escapes follow JSON's). */
function q(s: string): string {
  return JSON.stringify(s);
}
