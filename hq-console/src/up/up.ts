import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import {
  Broker,
  brokerConfig,
  InProcessStream,
  SqliteBrokerStore,
  type Backbone,
} from '@cctns/broker';
import {
  selfSignedWebCertificate,
  createCsr,
  generateRsaKeyPair,
  Pki,
  privateKeyToPem,
  writePublicFile,
  writeSecretFile,
} from '@cctns/pki';
import { Agent, enroll } from '@cctns/station-agent';
import type { Logger } from 'pino';
import { Accounts } from '../auth/accounts.js';
import { ConsoleError } from '../auth/errors.js';
import { ConsoleServer } from '../server/server.js';

/** What `cctns up` starts. */
export interface UpOptions {
  /** Data folder; created on first run, reused after. */
  dataDir: string;
  /** State/UT codes with a broker each. */
  states: string[];
  /** Station agents per state. */
  stationsPerState: number;
  /** First port; the national broker uses base+1 (links), +2 (enrollment), +3 (health), state i base+10(i+1)+1..3. 0 picks free ports. */
  portBase: number;
  logger: Logger;
  /** A line for people (alerts moving, receipts). */
  say: (line: string) => void;
  /** Connects each broker to a shared backbone; default: one in-process stream. */
  backbone?: () => Promise<Backbone>;
  /** NATS server URLs: each broker joins with its own certificate instead of the in-process stream. */
  nats?: string[];
  /** Start the national HQ console (HTTPS, self-signed for this machine); default true. */
  console?: boolean;
}

/** A network started by `up`. */
export interface RunningNetwork {
  brokers: Map<string, Broker>;
  agents: Agent[];
  pki: Pki;
  /** The data folder (absolute). */
  dataDir: string;
  /** The national HQ console, when started. */
  console?: ConsoleServer;
  stop(): Promise<void>;
}

/** District names used for the demo stations of a few states (others get D1, D2, ...). */
const DISTRICTS: Record<string, string[]> = {
  MH: ['PUNE', 'MUMBAI', 'NAGPUR'],
  KA: ['BENGALURU', 'MYSURU', 'BELAGAVI'],
  DL: ['NEW-DELHI', 'SOUTH', 'NORTH-EAST'],
  GJ: ['AHMEDABAD', 'SURAT', 'VADODARA'],
  TN: ['CHENNAI', 'MADURAI', 'COIMBATORE'],
};

/** The station identities `up` runs for a state. */
export function stationsOf(state: string, count: number): string[] {
  const districts = DISTRICTS[state] ?? ['D1', 'D2', 'D3'];
  return Array.from(
    { length: count },
    (_, i) =>
      `station/${state}/${districts[i % districts.length]}/PS${String(i + 1).padStart(3, '0')}`,
  );
}

/** Folder of a station agent inside the data folder. */
export function stationDir(dataDir: string, identity: string): string {
  return join(dataDir, 'stations', identity.replace(/\//g, '_'));
}

/**
 * The embedded CA passphrase: `CCTNS_CA_PASSPHRASE` if set, else a random one kept in
 * `secrets/ca-passphrase` (0600). Good for one machine; a real deployment keeps CA keys apart.
 */
function embeddedPassphrase(dataDir: string, env: NodeJS.ProcessEnv): string {
  if (env['CCTNS_CA_PASSPHRASE']) return env['CCTNS_CA_PASSPHRASE'];
  const file = join(dataDir, 'secrets', 'ca-passphrase');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(join(dataDir, 'secrets'), { recursive: true, mode: 0o700 });
  const p = randomBytes(24).toString('base64url');
  writeSecretFile(file, `${p}\n`);
  return p;
}

/**
 * Notifications of a state broker in the embedded network: a contact directory (an SHO per
 * station, an SP per district, the state HQ; example numbers and addresses, editable from the
 * console) and escalation chains, written on the first run. No SMS or email provider is
 * configured on one machine, so what falls due is recorded as failed ("no sms provider
 * configured") and shown in the console; a deployment adds `notify.sms` / `notify.email`.
 */
function demoNotifications(dir: string, state: string, stations: string[]) {
  const contacts = join(dir, 'contacts.json');
  const escalation = join(dir, 'escalation.json');
  if (!existsSync(contacts)) {
    const districts = [...new Set(stations.map((s) => s.split('/')[2]!))];
    const slug = (x: string) => x.toLowerCase().replace(/[^a-z0-9]+/g, '-');
    const doc = {
      version: 1,
      contacts: [
        ...stations.map((s, i) => ({
          id: `sho-${slug(s.split('/').slice(2).join('-'))}`,
          name: `SHO ${s.split('/')[3]} ${s.split('/')[2]}`,
          role: 'SHO',
          scope: s,
          phone: `+9190000${String(i + 1).padStart(5, '0')}`,
          email: `sho.${slug(s.split('/').slice(2).join('.'))}@${state.toLowerCase()}.police.example`,
        })),
        ...districts.map((d) => ({
          id: `sp-${slug(d)}`,
          name: `SP ${d}`,
          role: 'SP',
          scope: `district/${state}/${d}`,
          email: `sp.${slug(d)}@${state.toLowerCase()}.police.example`,
        })),
        {
          id: 'state-hq',
          name: `${state} State HQ control room`,
          role: 'STATE-HQ',
          scope: `state/${state}`,
          email: `control.room@${state.toLowerCase()}.police.example`,
        },
      ],
    };
    writeFileSync(contacts, `${JSON.stringify(doc, null, 2)}\n`);
  }
  if (!existsSync(escalation))
    writeFileSync(
      escalation,
      `${JSON.stringify(
        {
          version: 1,
          chains: [
            {
              name: 'heinous',
              match: { severities: ['extreme'] },
              steps: [
                { after: '10m', level: 'station', roles: ['SHO'], channels: ['sms'] },
                { after: '30m', level: 'district', roles: ['SP'], channels: ['email'] },
                { after: '60m', level: 'state', roles: ['STATE-HQ'], channels: ['email'] },
              ],
            },
          ],
        },
        null,
        2,
      )}\n`,
    );
  return { contacts: 'contacts.json', escalation: 'escalation.json', tickSeconds: 30 };
}

/** Folder of an HQ operator's agent inside the data folder. */
export function hqDir(dataDir: string, identity: string): string {
  return join(dataDir, 'hq', identity.replace(/\//g, '_'));
}

/** The national HQ operator `up` runs, so national broadcasts can be sent from the CLI. */
export const HQ_OPERATOR = 'hq/national/duty1';
/** The second national duty officer, whose agent approves HQ_OPERATOR's national broadcasts. */
export const HQ_APPROVER = 'hq/national/duty2';

/** The ports `up` listens on for a port base, with what each is for (none for base 0: free ports). */
export function upPorts(portBase: number, states: string[]): Array<{ port: number; what: string }> {
  if (portBase === 0) return [];
  const out: Array<{ port: number; what: string }> = [];
  for (const [i, home] of ['national', ...states].entries())
    for (const [k, what] of [
      [1, 'links'],
      [2, 'enrollment'],
      [3, 'health'],
    ] as const)
      out.push({ port: portBase + 10 * i + k, what: `broker/${home} ${what}` });
  out.push({ port: portBase + 8, what: 'HQ console' });
  return out;
}

/** Whether something already listens on 127.0.0.1:port. */
function portInUse(port: number): Promise<boolean> {
  return new Promise((done) => {
    const probe = createServer();
    probe.once('error', () => done(true));
    probe.listen(port, '127.0.0.1', () => probe.close(() => done(false)));
  });
}

/** Refuses, before anything is created, a port base whose ports something else holds. */
async function checkPorts(portBase: number, states: string[]): Promise<void> {
  for (const { port, what } of upPorts(portBase, states))
    if (await portInUse(port))
      throw new ConsoleError(
        'PORT_IN_USE',
        `port ${port} (${what}) is in use on 127.0.0.1: stop what holds it, or choose another --port-base (e.g. --port-base ${portBase + 100}, or 0 for free ports)`,
      );
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The file that says which process runs the network of a data folder. */
export function upLockFile(dataDir: string): string {
  return join(dataDir, 'up.pid');
}

/**
 * Takes the data folder for this process (`up.pid`, created exclusively): a second `up` on a
 * folder in use is refused instead of rewriting the running network's files. A file left by a
 * process that is gone is taken over. Returns the release.
 */
function lockDataDir(dataDir: string): () => void {
  const file = upLockFile(dataDir);
  for (;;) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && alive(pid))
        throw new ConsoleError(
          'DATA_IN_USE',
          `data folder in use by pid ${pid} (${dataDir}): stop that network first, or give this one another --data`,
        );
      unlinkSync(file);
    }
  }
  return () => {
    try {
      if (readFileSync(file, 'utf8').trim() === String(process.pid)) unlinkSync(file);
    } catch {
      // Already gone.
    }
  };
}

/** Starts (creating on first run) the embedded network: PKI, the national and state brokers on one backbone, agents. */
export async function up(opts: UpOptions, env: NodeJS.ProcessEnv = {}): Promise<RunningNetwork> {
  const dataDir = resolve(opts.dataDir);
  await checkPorts(opts.portBase, opts.states);
  mkdirSync(dataDir, { recursive: true });
  const unlock = lockDataDir(dataDir);
  let passphrase: string;
  try {
    passphrase = embeddedPassphrase(dataDir, env);
  } catch (err) {
    unlock();
    throw err;
  }
  const pkiDir = join(dataDir, 'pki');
  let pki: Pki;
  try {
    if (existsSync(join(pkiDir, 'pki.json'))) {
      pki = Pki.open(pkiDir, { logger: opts.logger });
    } else {
      opts.say('First run: creating the national root CA and issuing CAs (a few seconds)...');
      pki = await Pki.initRoot(pkiDir, {
        trustDomain: 'cctns.local',
        passphrase,
        logger: opts.logger,
      });
    }
  } catch (err) {
    unlock();
    throw err;
  }
  try {
    for (const state of [...opts.states, 'CENTRAL']) {
      if (!pki.caNames().includes(state as never))
        await pki.initCa(state, { rootPassphrase: passphrase, passphrase });
    }
  } catch (err) {
    pki.close();
    unlock();
    throw err;
  }
  const homes = ['national', ...opts.states];
  const brokerDir = (home: string) => join(dataDir, 'brokers', home);
  // The in-process backbone continues after the highest sequence any broker's log already holds.
  let connect = opts.backbone;
  if (!connect && !opts.nats) {
    let head = 0;
    for (const home of homes) {
      const db = join(brokerDir(home), 'broker.db');
      if (!existsSync(db)) continue;
      const s = new SqliteBrokerStore(db);
      head = Math.max(head, await s.head());
      await s.close();
    }
    const stream = new InProcessStream(head);
    connect = async () => stream.connect();
  }

  const brokers = new Map<string, Broker>();
  const agents: Agent[] = [];
  const connections: Backbone[] = [];
  let consoleServer: ConsoleServer | undefined;
  const stopAll = async () => {
    await consoleServer?.stop().catch(() => undefined);
    for (const a of agents) await a.close().catch(() => undefined);
    for (const b of brokers.values()) await b.stop().catch(() => undefined);
    for (const c of connections) await c.close().catch(() => undefined);
    pki.close();
    unlock();
  };
  try {
    for (const [i, home] of homes.entries()) {
      const dir = brokerDir(home);
      const identity = `broker/${home}`;
      const caName = home === 'national' ? 'CENTRAL' : home;
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      if (!existsSync(join(dir, 'cert.pem'))) {
        const ca = pki.unlockCa(caName, passphrase);
        const keys = await generateRsaKeyPair();
        const { token } = await ca.createToken(identity);
        const issued = await ca.issue({
          csrPem: createCsr(identity, pki.trustDomain, keys),
          token,
        });
        writeSecretFile(join(dir, 'key.pem'), privateKeyToPem(keys.privateKey), {
          overwrite: true,
        });
        writePublicFile(join(dir, 'cert.pem'), issued.chainPem);
        writePublicFile(join(dir, 'root.pem'), pki.root.toString());
      }
      const port = (k: number) => (opts.portBase === 0 ? 0 : opts.portBase + 10 * i + k);
      const file = {
        identity,
        trustDomain: pki.trustDomain,
        listen: `127.0.0.1:${port(1)}`,
        enrollListen: `127.0.0.1:${port(2)}`,
        httpListen: `127.0.0.1:${port(3)}`,
        tls: { cert: 'cert.pem', key: 'key.pem', root: 'root.pem' },
        pkiDir,
        store: 'sqlite:broker.db',
        ...(opts.nats ? { nats: { servers: opts.nats } } : {}),
        ...(home === 'national'
          ? {}
          : { notify: demoNotifications(dir, home, stationsOf(home, opts.stationsPerState)) }),
      };
      writeFileSync(join(dir, 'broker.json'), `${JSON.stringify(file, null, 2)}\n`);
      const backbone = connect ? await connect() : undefined;
      if (backbone) connections.push(backbone);
      const broker = await Broker.start(
        brokerConfig(file, { baseDir: dir, env: { CCTNS_CA_PASSPHRASE: passphrase } }),
        { logger: opts.logger, ...(backbone ? { backbone } : {}) },
      );
      brokers.set(home, broker);
      opts.say(
        `${identity}: links ${broker.addresses.grpc}, enrollment ${broker.addresses.enroll}, health http://${broker.addresses.http}/healthz`,
      );
    }
    const people = [
      ...opts.states.flatMap((s) => stationsOf(s, opts.stationsPerState)),
      HQ_OPERATOR,
      HQ_APPROVER,
    ];
    for (const identity of people) {
      const home = identity.split('/')[1]!;
      const broker = brokers.get(home)!;
      const dir = identity.startsWith('hq/')
        ? hqDir(dataDir, identity)
        : stationDir(dataDir, identity);
      if (!existsSync(join(dir, 'cert.pem'))) {
        const { token } = await pki
          .unlockCa(home === 'national' ? 'CENTRAL' : home, passphrase)
          .createToken(identity);
        await enroll({
          dir,
          broker: broker.addresses.grpc,
          enrollAddress: broker.addresses.enroll!,
          token,
          rootPem: pki.root.toString(),
        });
      } else {
        // The broker's port may differ from the last run (port base 0): point the agent at it.
        const cfgPath = join(dir, 'agent.json');
        const cfg = JSON.parse(readFileSync(cfgPath, 'utf8')) as { broker: string };
        if (cfg.broker !== broker.addresses.grpc)
          writeFileSync(
            cfgPath,
            `${JSON.stringify({ ...cfg, broker: broker.addresses.grpc }, null, 2)}\n`,
          );
      }
      const agent = Agent.open(dir, { logger: opts.logger });
      agents.push(agent);
      agent.run({
        alert: (id) => {
          const item = agent.store.inboxItem(id);
          opts.say(
            `${identity}  <- ${item?.msgType ?? 'alert'} "${item?.headline ?? id}" from ${item?.sender ?? '?'}  [${id}]`,
          );
        },
        receipt: (id, station, kind) =>
          opts.say(`${identity}  <- receipt: ${station} ${kind} [${id}]`),
        answered: (ref, ok) => {
          if (ref.startsWith('alert:'))
            opts.say(
              `${identity}  -> ${ref.slice(6)} ${ok ? 'accepted by broker' : 'REFUSED by broker (cctns agent sent shows why)'}`,
            );
        },
      });
    }
    if (opts.console !== false) {
      consoleServer = await startConsole({
        dataDir,
        pki,
        passphrase,
        brokers,
        port: opts.portBase === 0 ? 0 : opts.portBase + 8,
        logger: opts.logger,
        say: opts.say,
      });
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  return {
    brokers,
    agents,
    pki,
    dataDir,
    ...(consoleServer ? { console: consoleServer } : {}),
    stop: stopAll,
  };
}

/** The console's identity in the embedded network. */
export const CONSOLE_IDENTITY = 'hq/national/console';

/** Operators the embedded console gets on first run (passwords and TOTP secrets in a 0600 file). */
const FIRST_OPERATORS = [
  { username: 'admin', role: 'administrator' },
  { username: 'duty1', role: 'duty-officer' },
  { username: 'duty2', role: 'duty-officer' },
] as const;

/** File where the embedded console's first operators are written (0600). */
export function operatorsFile(dataDir: string): string {
  return join(dataDir, 'secrets', 'console-operators.json');
}

/**
 * The national HQ console of the embedded network: its `hq/national/console` certificate, a
 * self-signed HTTPS certificate for this machine, a session secret, and on first run three
 * operators (an administrator and two duty officers, so national broadcasts can be approved).
 */
async function startConsole(args: {
  dataDir: string;
  pki: Pki;
  passphrase: string;
  brokers: Map<string, Broker>;
  port: number;
  logger: Logger;
  say: (line: string) => void;
}): Promise<ConsoleServer> {
  const dir = join(args.dataDir, 'console');
  const tlsDir = join(dir, 'tls');
  const national = args.brokers.get('national')!;
  if (!existsSync(join(tlsDir, 'cert.pem'))) {
    const { token } = await args.pki
      .unlockCa('CENTRAL', args.passphrase)
      .createToken(CONSOLE_IDENTITY);
    await enroll({
      dir: tlsDir,
      broker: national.addresses.grpc,
      enrollAddress: national.addresses.enroll!,
      token,
      rootPem: args.pki.root.toString(),
    });
  }
  const webDir = join(dir, 'https');
  if (!existsSync(join(webDir, 'cert.pem'))) {
    mkdirSync(webDir, { recursive: true, mode: 0o700 });
    const web = await selfSignedWebCertificate({ hosts: ['localhost', '127.0.0.1'] });
    writeSecretFile(join(webDir, 'key.pem'), web.keyPem, { overwrite: true });
    writePublicFile(join(webDir, 'cert.pem'), web.certPem);
  }
  const secretFile = join(dir, 'session-secret');
  if (!existsSync(secretFile))
    writeSecretFile(secretFile, `${randomBytes(32).toString('base64')}\n`);
  const accounts = new Accounts(join(dir, 'console.db'));
  try {
    if (accounts.list().length === 0) {
      const created = [];
      for (const o of FIRST_OPERATORS) {
        const password = randomBytes(12).toString('base64url');
        const r = await accounts.add({ ...o, scope: 'national', password, now: new Date() });
        created.push({ ...o, password, totpSecret: r.totpSecret, otpauth: r.otpauth });
      }
      mkdirSync(join(args.dataDir, 'secrets'), { recursive: true, mode: 0o700 });
      writeSecretFile(operatorsFile(args.dataDir), `${JSON.stringify(created, null, 2)}\n`, {
        overwrite: true,
      });
    }
  } finally {
    accounts.close();
  }
  const server = await ConsoleServer.start({
    listen: `127.0.0.1:${args.port}`,
    broker: national.addresses.grpc,
    stateBrokers: Object.fromEntries(
      [...args.brokers.entries()]
        .filter(([home]) => home !== 'national')
        .map(([home, b]) => [home, b.addresses.grpc]),
    ),
    tls: {
      cert: join(tlsDir, 'cert.pem'),
      key: join(tlsDir, 'key.pem'),
      root: join(tlsDir, 'root.pem'),
    },
    https: { cert: join(webDir, 'cert.pem'), key: join(webDir, 'key.pem') },
    consoleDir: dir,
    secret: Buffer.from(readFileSync(secretFile, 'utf8').trim(), 'base64'),
    secureCookies: true,
    logger: args.logger,
  });
  args.say(
    `HQ console (national): ${server.url.replace('127.0.0.1', 'localhost')}  — operators, passwords and TOTP secrets in ${operatorsFile(args.dataDir)}`,
  );
  return server;
}
