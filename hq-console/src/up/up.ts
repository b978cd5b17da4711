import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Broker, brokerConfig } from '@cctns/broker';
import {
  createCsr,
  generateRsaKeyPair,
  Pki,
  privateKeyToPem,
  writePublicFile,
  writeSecretFile,
} from '@cctns/pki';
import { Agent, enroll } from '@cctns/station-agent';
import type { Logger } from 'pino';

/** What `cctns up` starts. */
export interface UpOptions {
  /** Data folder; created on first run, reused after. */
  dataDir: string;
  /** State/UT codes with a broker each. */
  states: string[];
  /** Station agents per state. */
  stationsPerState: number;
  /** First port; state i uses base+10i+1 (gRPC), +2 (enrollment), +3 (health). 0 picks free ports. */
  portBase: number;
  logger: Logger;
  /** A line for people (alerts moving, receipts). */
  say: (line: string) => void;
}

/** A network started by `up`. */
export interface RunningNetwork {
  brokers: Map<string, Broker>;
  agents: Agent[];
  pki: Pki;
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

/** Starts (creating on first run) the embedded network: PKI, one broker per state, station agents. */
export async function up(opts: UpOptions, env: NodeJS.ProcessEnv = {}): Promise<RunningNetwork> {
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const passphrase = embeddedPassphrase(dataDir, env);
  const pkiDir = join(dataDir, 'pki');
  let pki: Pki;
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
  for (const state of [...opts.states, 'CENTRAL']) {
    if (!pki.caNames().includes(state as never))
      await pki.initCa(state, { rootPassphrase: passphrase, passphrase });
  }

  const brokers = new Map<string, Broker>();
  const agents: Agent[] = [];
  const stopAll = async () => {
    for (const a of agents) await a.close().catch(() => undefined);
    for (const b of brokers.values()) await b.stop().catch(() => undefined);
    pki.close();
  };
  try {
    for (const [i, state] of opts.states.entries()) {
      const dir = join(dataDir, 'brokers', state);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      if (!existsSync(join(dir, 'cert.pem'))) {
        const ca = pki.unlockCa(state, passphrase);
        const keys = await generateRsaKeyPair();
        const { token } = await ca.createToken(`broker/${state}`);
        const issued = await ca.issue({
          csrPem: createCsr(`broker/${state}`, pki.trustDomain, keys),
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
        identity: `broker/${state}`,
        trustDomain: pki.trustDomain,
        listen: `127.0.0.1:${port(1)}`,
        enrollListen: `127.0.0.1:${port(2)}`,
        httpListen: `127.0.0.1:${port(3)}`,
        tls: { cert: 'cert.pem', key: 'key.pem', root: 'root.pem' },
        pkiDir,
        store: 'sqlite:broker.db',
      };
      writeFileSync(join(dir, 'broker.json'), `${JSON.stringify(file, null, 2)}\n`);
      const broker = await Broker.start(
        brokerConfig(file, { baseDir: dir, env: { CCTNS_CA_PASSPHRASE: passphrase } }),
        { logger: opts.logger },
      );
      brokers.set(state, broker);
      opts.say(
        `broker/${state}: stations ${broker.addresses.grpc}, enrollment ${broker.addresses.enroll}, health http://${broker.addresses.http}/healthz`,
      );
    }
    for (const state of opts.states) {
      const broker = brokers.get(state)!;
      for (const identity of stationsOf(state, opts.stationsPerState)) {
        const dir = stationDir(dataDir, identity);
        if (!existsSync(join(dir, 'cert.pem'))) {
          const { token } = await pki.unlockCa(state, passphrase).createToken(identity);
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
        const short = identity;
        agent.run({
          alert: (id) => {
            const item = agent.store.inboxItem(id);
            opts.say(
              `${short}  <- ${item?.msgType ?? 'alert'} "${item?.headline ?? id}" from ${item?.sender ?? '?'}  [${id}]`,
            );
          },
          receipt: (id, station, kind) =>
            opts.say(`${short}  <- receipt: ${station} ${kind} [${id}]`),
          answered: (ref, ok) => {
            if (ref.startsWith('alert:'))
              opts.say(
                `${short}  -> ${ref.slice(6)} ${ok ? 'accepted by broker' : 'REFUSED by broker (cctns agent sent shows why)'}`,
              );
          },
        });
      }
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
  return { brokers, agents, pki, stop: stopAll };
}
