import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Broker, brokerConfig, type Backbone } from '@cctns/broker';
import {
  createCsr,
  generateRsaKeyPair,
  Pki,
  privateKeyToPem,
  writeSecretFile,
  type IssuingCa,
} from '@cctns/pki';
import { Agent, enroll, type LinkEvents } from '@cctns/station-agent';
import { pino } from 'pino';
import { tempDir } from './cli.js';

/** Passphrase of every CA a test network makes. */
export const TEST_PASSPHRASE = 'test network passphrase';

/** A quiet logger; set CCTNS_TEST_LOG=debug to see the network talk. */
export const testLogger = pino({ level: process.env['CCTNS_TEST_LOG'] ?? 'silent' });

/** A PKI with a root and the given CAs, 2048-bit keys for speed. */
export async function makePki(
  dir: string,
  cas: string[],
): Promise<{ pki: Pki; cas: Map<string, IssuingCa> }> {
  const pki = await Pki.initRoot(join(dir, 'pki'), {
    trustDomain: 'cctns.local',
    passphrase: TEST_PASSPHRASE,
    keyBits: 2048,
  });
  const out = new Map<string, IssuingCa>();
  for (const name of cas) {
    await pki.initCa(name, {
      rootPassphrase: TEST_PASSPHRASE,
      passphrase: TEST_PASSPHRASE,
      keyBits: 2048,
    });
    out.set(name, pki.unlockCa(name, TEST_PASSPHRASE));
  }
  return { pki, cas: out };
}

/** Issues a certificate for `identity` into `dir` (key.pem 0600, cert.pem chain, root.pem), as the operator would. */
export async function provision(
  pki: Pki,
  ca: IssuingCa,
  identity: string,
  dir: string,
): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const keys = await generateRsaKeyPair(2048);
  const { token } = await ca.createToken(identity);
  const issued = await ca.issue({ csrPem: createCsr(identity, pki.trustDomain, keys), token });
  writeSecretFile(join(dir, 'key.pem'), privateKeyToPem(keys.privateKey), { overwrite: true });
  writeFileSync(join(dir, 'cert.pem'), issued.chainPem);
  writeFileSync(join(dir, 'root.pem'), pki.root.toString());
}

/** Starts a state broker on free loopback ports with network enrollment. */
export async function startBroker(
  dir: string,
  pki: Pki,
  state: string,
  overrides: Record<string, unknown> = {},
  opts: {
    backbone?: Backbone;
    replica?: string;
    env?: Record<string, string>;
    clock?: () => Date;
  } = {},
): Promise<Broker> {
  const replica = opts.replica ?? '1';
  const bdir = join(dir, replica === '1' ? `broker-${state}` : `broker-${state}-r${replica}`);
  if (!existsSync(join(bdir, 'cert.pem')))
    await provision(
      pki,
      pki.unlockCa(state === 'national' ? 'CENTRAL' : state, TEST_PASSPHRASE),
      `broker/${state}`,
      bdir,
    );
  const config = brokerConfig(
    {
      identity: `broker/${state}`,
      listen: '127.0.0.1:0',
      enrollListen: '127.0.0.1:0',
      httpListen: '127.0.0.1:0',
      tls: { cert: 'cert.pem', key: 'key.pem', root: 'root.pem' },
      pkiDir: pki.dir,
      store: 'sqlite:broker.db',
      replica,
      ...overrides,
    },
    { baseDir: bdir, env: { CCTNS_CA_PASSPHRASE: TEST_PASSPHRASE, ...opts.env } },
  );
  return Broker.start(config, {
    logger: testLogger,
    ...(opts.backbone ? { backbone: opts.backbone } : {}),
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
}

/** Enrolls a station over the network (token + CSR to the broker's enrollment port) and opens its agent. */
export async function enrollStation(
  dir: string,
  pki: Pki,
  ca: IssuingCa,
  broker: Broker,
  identity: string,
): Promise<Agent> {
  const adir = join(dir, identity.replace(/\//g, '_'));
  const { token } = await ca.createToken(identity);
  await enroll({
    dir: adir,
    broker: broker.addresses.grpc,
    enrollAddress: broker.addresses.enroll!,
    token,
    rootPem: pki.root.toString(),
  });
  return Agent.open(adir, { logger: testLogger });
}

/** Waits until `check` returns a truthy value, polling; fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => T | Promise<T>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end)
      throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Runs an agent's link with fast reconnects for tests. */
export function runFast(agent: Agent, events: LinkEvents = {}) {
  return agent.run(events, { minBackoffMs: 50, maxBackoffMs: 500, outboxPollMs: 50 });
}

export { tempDir };
