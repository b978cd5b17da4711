import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { loadPrivateKey, parseIdentity, pemBlocks, Pki, TrustStore } from '@cctns/pki';
import { connect, StorageType, type NatsConnection } from 'nats';
import { loadPolicy } from '../alerts/policy.js';
import type { BrokerConfig } from '../config/config.js';
import { loadLookupPolicy } from '../lookup/policy.js';
import { isMongoStore } from '../store/open.js';

/** The outcome of one check of a host: ok, a warning, or a failure with what to do about it. */
export interface Check {
  /** Short stable name, e.g. `certificate`, `key-mode`, `port:listen`. */
  name: string;
  status: 'ok' | 'warn' | 'fail';
  /** What was found. */
  detail: string;
  /** What to do (warn and fail). */
  fix?: string;
}

/** Certificates that end within this many days are a warning. */
export const EXPIRY_WARN_DAYS = 30;
/** Clock skew against NATS above this is a warning, above 5 × this a failure (certificates, tokens). */
export const SKEW_WARN_MS = 2_000;

const ok = (name: string, detail: string): Check => ({ name, status: 'ok', detail });
const warn = (name: string, detail: string, fix: string): Check => ({
  name,
  status: 'warn',
  detail,
  fix,
});
const fail = (name: string, detail: string, fix: string): Check => ({
  name,
  status: 'fail',
  detail,
  fix,
});
const days = (ms: number) => Math.floor(ms / 86_400_000);
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * The broker's certificate chain against its root: it verifies, names the configured identity,
 * and (with the root and issuing CA) does not end within `EXPIRY_WARN_DAYS`.
 */
export function checkCertificates(config: Readonly<BrokerConfig>, now: Date): Check[] {
  const renew = `renew it: cctns pki renew --cert ${config.tls.cert} --key ${config.tls.key}, or issue a new one with cctns broker init`;
  let chainPem: string;
  let rootPem: string;
  try {
    chainPem = readFileSync(config.tls.cert, 'utf8');
    rootPem = readFileSync(config.tls.root, 'utf8');
  } catch (err) {
    return [fail('certificate', message(err), 'make tls.cert and tls.root readable by the broker')];
  }
  const checks: Check[] = [];
  try {
    const trust = new TrustStore({
      trustDomain: config.trustDomain,
      root: rootPem,
      cas: [
        ...pemBlocks(chainPem, 'CERTIFICATE').slice(1),
        ...config.tls.cas.map((f) => readFileSync(f, 'utf8')),
      ],
    });
    const v = trust.verify(chainPem, { at: now });
    if (v.identityString !== config.identity)
      checks.push(
        fail(
          'certificate',
          `${config.tls.cert} is for ${v.identityString}, the config says ${config.identity}`,
          'point tls.cert at this broker’s certificate or correct identity',
        ),
      );
    else checks.push(ok('certificate', `${v.identityString}, serial ${v.serial}, chain verifies`));
  } catch (err) {
    checks.push(fail('certificate', message(err), renew));
    return checks;
  }
  // Every certificate the broker relies on: its leaf, the issuing CA, the root.
  const certs = [...pemBlocks(chainPem, 'CERTIFICATE'), rootPem].map((p) => new X509Certificate(p));
  const first = certs.reduce((a, b) => (new Date(b.validTo) < new Date(a.validTo) ? b : a));
  const left = new Date(first.validTo).getTime() - now.getTime();
  const subject = first.subject.replace(/\n/g, ', ');
  if (left < EXPIRY_WARN_DAYS * 86_400_000)
    checks.push(
      warn(
        'certificate-expiry',
        `${subject} ends ${first.validTo} (in ${days(left)} days)`,
        first === certs[0] ? renew : 'the CA certificate ends soon: rotate the CA (README runbook)',
      ),
    );
  else checks.push(ok('certificate-expiry', `earliest end ${first.validTo} (${days(left)} days)`));
  return checks;
}

/** The private key loads, matches the certificate, and no one but its owner may read it. */
export function checkKey(config: Readonly<BrokerConfig>): Check[] {
  const file = config.tls.key;
  const checks: Check[] = [];
  try {
    const { publicKey } = loadPrivateKey(readFileSync(file, 'utf8'), undefined, 'the broker key');
    const cert = new X509Certificate(readFileSync(config.tls.cert, 'utf8'));
    if (!cert.publicKey.equals(publicKey))
      checks.push(
        fail(
          'key',
          `${file} is not the key of ${config.tls.cert}`,
          'use the key.pem made with this certificate',
        ),
      );
    else checks.push(ok('key', `${file} matches the certificate`));
  } catch (err) {
    checks.push(fail('key', message(err), `make ${file} the broker's unencrypted PEM key`));
  }
  for (const [name, path] of [
    ['key-mode', file],
    ...(config.pkiDir ? [['key-mode:pki', config.pkiDir] as const] : []),
  ] as const) {
    try {
      const mode = statSync(path).mode & 0o777;
      const want = name === 'key-mode' ? 0o600 : 0o700;
      if (mode & 0o077)
        checks.push(
          fail(
            name,
            `${path} has mode ${mode.toString(8).padStart(4, '0')}: others may read it`,
            `chmod ${want.toString(8)} ${path} (and chown it to the broker's user)`,
          ),
        );
      else checks.push(ok(name, `${path} mode ${mode.toString(8).padStart(4, '0')}`));
    } catch (err) {
      checks.push(fail(name, message(err), `check ${path}`));
    }
  }
  return checks;
}

/** The embedded store's folder (and database, if any) are writable; a MongoDB URI is noted. */
export function checkStore(config: Readonly<BrokerConfig>): Check {
  if (isMongoStore(config.store))
    return ok('store', 'MongoDB: reached at start (the URI is valid; cctns broker start connects)');
  const file = config.store.slice('sqlite:'.length);
  const target = existsSync(file) ? file : dirname(file);
  try {
    accessSync(target, constants.W_OK);
    return ok('store', `${file} writable`);
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    return fail(
      'store',
      `${target} ${missing ? 'does not exist' : 'is not writable'}`,
      missing
        ? `mkdir -p ${target} (owned by the broker's user)`
        : `give the broker's user write access to ${target} (systemd: ReadWritePaths=${dirname(file)})`,
    );
  }
}

/** Files the broker reads at start besides its certificates: policies, CRLs, notify files. */
export function checkFiles(config: Readonly<BrokerConfig>): Check[] {
  const checks: Check[] = [];
  const load = (name: string, path: string, read: (p: string) => unknown) => {
    try {
      read(path);
      checks.push(ok(name, `${path} loads`));
    } catch (err) {
      checks.push(fail(name, message(err), `correct ${path}`));
    }
  };
  if (config.policy) load('policy', config.policy, loadPolicy);
  if (config.lookupPolicy) load('lookup-policy', config.lookupPolicy, loadLookupPolicy);
  for (const crl of config.tls.crls) load('crl', crl, (p) => readFileSync(p));
  if (config.notify) {
    load('notify.contacts', config.notify.contacts, (p) => JSON.parse(readFileSync(p, 'utf8')));
    load('notify.escalation', config.notify.escalation, (p) => JSON.parse(readFileSync(p, 'utf8')));
  }
  if (config.pkiDir) checks.push(checkCa(config, config.pkiDir));
  return checks;
}

/** The state's CA in `pkiDir` opens with the passphrase from the environment. */
function checkCa(config: Readonly<BrokerConfig>, dir: string): Check {
  const id = parseIdentity(config.identity);
  const name = id.kind === 'broker' && id.state !== 'national' ? id.state : 'CENTRAL';
  let pki: Pki | undefined;
  try {
    pki = Pki.open(dir);
    pki.unlockCa(name, config.caPassphrase ?? undefined);
    return ok('pki', `CA ${name} in ${dir} opens`);
  } catch (err) {
    return fail(
      'pki',
      message(err),
      `give pkiDir the state's CA folder (pki.json, ca/${name}/) and its passphrase in CCTNS_CA_PASSPHRASE_${name}`,
    );
  } finally {
    pki?.close();
  }
}

/** The checks `cctns broker start --check` makes: nothing that needs the network or the ports. */
export function offlineChecks(config: Readonly<BrokerConfig>, now: Date): Check[] {
  return [
    ...checkCertificates(config, now),
    ...checkKey(config),
    checkStore(config),
    ...checkFiles(config),
  ];
}

/** Whether `host:port` can be listened on here (port 0 always can). */
export async function checkPort(name: string, address: string): Promise<Check> {
  const idx = address.lastIndexOf(':');
  const host = address.slice(0, idx).replace(/^\[|\]$/g, '');
  const port = Number(address.slice(idx + 1));
  if (port === 0) return ok(name, `${address}: a free port is picked at start`);
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      const why =
        err.code === 'EADDRINUSE'
          ? [
              `${address} is in use`,
              `stop what holds it (ss -ltnp 'sport = :${port}') or choose another port`,
            ]
          : err.code === 'EADDRNOTAVAIL'
            ? [`${host} is not an address of this host`, `listen on an address of this host`]
            : err.code === 'EACCES'
              ? [
                  `${address} needs privileges`,
                  'use a port above 1023 (or AmbientCapabilities=CAP_NET_BIND_SERVICE)',
                ]
              : [`${address}: ${err.message}`, 'choose another address'];
      resolve(fail(name, why[0]!, why[1]!));
    });
    server.listen(port, host, () => server.close(() => resolve(ok(name, `${address} free`))));
  });
}

/**
 * NATS reachable with the broker's certificate, and the clock against the server's: a probe
 * message is stored in a temporary in-memory stream and its server timestamp compared with the
 * midpoint of the round trip here (accurate to half the round trip).
 */
export async function checkNats(
  config: Readonly<BrokerConfig>,
  opts: { timeoutMs?: number; now?: () => number } = {},
): Promise<Check[]> {
  if (!config.nats) return [];
  const now = opts.now ?? Date.now;
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: config.nats.servers,
      tls: { caFile: config.tls.root, certFile: config.tls.cert, keyFile: config.tls.key },
      timeout: opts.timeoutMs ?? 5_000,
      reconnect: false,
      name: `${config.identity} doctor`,
    });
  } catch (err) {
    return [
      fail(
        'nats',
        `${config.nats.servers.join(', ')}: ${message(err)}`,
        'start nats-server with TLS (cctns broker nats-config), open the port, and check its certificate chains to tls.root',
      ),
    ];
  }
  const checks: Check[] = [ok('nats', `${nc.getServer()} reached with TLS`)];
  const stream = `CCTNS_DOCTOR_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  const subject = `cctns.doctor.${stream}`;
  try {
    const jsm = await nc.jetstreamManager({ timeout: opts.timeoutMs ?? 5_000 });
    await jsm.streams.add({
      name: stream,
      subjects: [subject],
      storage: StorageType.Memory,
      max_msgs: 1,
    });
    try {
      const sent = now();
      const ack = await nc.jetstream().publish(subject, new Uint8Array());
      const back = now();
      const msg = await jsm.streams.getMessage(stream, { seq: ack.seq });
      const skew = Math.round(msg.time.getTime() - (sent + back) / 2);
      const bound = Math.ceil((back - sent) / 2);
      const detail = `server clock ${skew >= 0 ? 'ahead' : 'behind'} by ${Math.abs(skew)} ms (± ${bound} ms)`;
      const abs = Math.abs(skew) - bound;
      checks.push(
        abs > SKEW_WARN_MS * 5
          ? fail(
              'clock',
              detail,
              'synchronise this host’s clock (timedatectl set-ntp true; chrony)',
            )
          : abs > SKEW_WARN_MS
            ? warn('clock', detail, 'check NTP on this host and the NATS hosts')
            : ok('clock', detail),
      );
    } finally {
      await jsm.streams.delete(stream).catch(() => undefined);
    }
  } catch (err) {
    checks.push(
      warn(
        'clock',
        `not measured: ${message(err)}`,
        'JetStream must be enabled for this account; compare clocks with NTP (timedatectl)',
      ),
    );
  } finally {
    await nc.close();
  }
  return checks;
}

/** Everything `cctns doctor` checks on a host before the broker starts. */
export async function hostChecks(
  config: Readonly<BrokerConfig>,
  opts: { now?: Date; natsTimeoutMs?: number } = {},
): Promise<Check[]> {
  const checks = offlineChecks(config, opts.now ?? new Date());
  const ports: Array<[string, string | null]> = [
    ['port:listen', config.listen],
    ['port:enrollListen', config.enrollListen],
    ['port:httpListen', config.httpListen],
  ];
  for (const [name, address] of ports) if (address) checks.push(await checkPort(name, address));
  checks.push(...(await checkNats(config, { timeoutMs: opts.natsTimeoutMs })));
  return checks;
}
