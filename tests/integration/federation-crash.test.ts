import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Broker } from '@cctns/broker';
import type { Pki } from '@cctns/pki';
import { Agent, composeAlert, enroll } from '@cctns/station-agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cctns } from '../support/cli.js';
import { startNats, type NatsServer } from '../support/nats.js';
import {
  eventually,
  makePki,
  provision,
  runFast,
  startBroker,
  tempDir,
  TEST_PASSPHRASE,
  testLogger,
} from '../support/network.js';
import { freePort, startCctns, type CctnsProcess } from '../support/processes.js';

// The KA broker runs as its own process on a real NATS (JetStream, mutual TLS). It is killed
// with SIGKILL while MH keeps publishing alerts for KA, and restarted: it catches up from its
// durable consumer and its stations receive everything once.
const dir = tempDir('fed-crash');
const env = { CCTNS_CA_PASSPHRASE: TEST_PASSPHRASE };
let pki: Pki;
let nats: NatsServer;
let mhBroker: Broker;
let kaProcess: CctnsProcess;
let kaConfig: string;
let mh: Agent;
let ka: Agent;

async function startKa(): Promise<CctnsProcess> {
  const p = startCctns(['--json', 'broker', 'start', '--config', kaConfig, '--log-level', 'warn'], {
    env,
  });
  await p.ready;
  return p;
}

beforeAll(async () => {
  ({ pki } = await makePki(dir, ['MH', 'KA', 'DL']));
  await provision(pki, pki.unlockCa('DL', TEST_PASSPHRASE), 'broker/DL', join(dir, 'nats-tls'));
  nats = await startNats({ tls: { dir: join(dir, 'nats-tls') } });
  mhBroker = await startBroker(dir, pki, 'MH', { nats: { servers: [nats.url] } });
  const [port, enrollPort] = [await freePort(), await freePort()];
  const init = await cctns(
    [
      'broker',
      'init',
      '--identity',
      'broker/KA',
      '--out',
      join(dir, 'ka'),
      '--pki-dir',
      pki.dir,
      '--listen',
      `127.0.0.1:${port}`,
      '--enroll-listen',
      `127.0.0.1:${enrollPort}`,
      '--http-listen',
      '',
    ],
    { env },
  );
  expect(init.stderr).toBe('');
  kaConfig = join(dir, 'ka', 'broker.json');
  const cfg = JSON.parse(readFileSync(kaConfig, 'utf8')) as Record<string, unknown>;
  writeFileSync(
    kaConfig,
    JSON.stringify({
      ...cfg,
      nats: { servers: [nats.url] },
      limits: { ratePerSecond: 10_000, burst: 10_000 },
    }),
  );
  kaProcess = await startKa();
  const enrollAt = async (identity: string, ca: string, grpc: string, enrollAddress: string) => {
    const adir = join(dir, identity.replace(/\//g, '_'));
    const { token } = await pki.unlockCa(ca, TEST_PASSPHRASE).createToken(identity);
    await enroll({ dir: adir, broker: grpc, enrollAddress, token, rootPem: pki.root.toString() });
    return Agent.open(adir, { logger: testLogger });
  };
  mh = await enrollAt(
    'station/MH/PUNE/PS001',
    'MH',
    mhBroker.addresses.grpc,
    mhBroker.addresses.enroll!,
  );
  ka = await enrollAt(
    'station/KA/BENGALURU/PS001',
    'KA',
    `127.0.0.1:${port}`,
    `127.0.0.1:${enrollPort}`,
  );
  runFast(mh);
  runFast(ka);
}, 120_000);

afterAll(async () => {
  await mh?.close();
  await ka?.close();
  kaProcess?.child.kill('SIGKILL');
  await mhBroker?.stop();
  await nats?.stop();
  pki?.close();
});

describe('a state broker SIGKILLed while another state keeps publishing', () => {
  it('catches up after its restart: every alert reaches its station once', async () => {
    const ids: string[] = [];
    const send = async (n: number, label: string) => {
      for (let i = 0; i < n; i++) {
        const a = composeAlert({
          sender: mh.identity,
          to: { districts: ['KA/BENGALURU'] },
          event: 'Inter-state',
          headline: `${label} ${i}`,
          now: new Date(),
        });
        ids.push(a.identifier);
        await mh.send(a);
      }
    };
    await send(20, 'before the crash');
    await eventually(() => ka.store.inbox().length >= 5, 30_000, 'KA receiving');
    kaProcess.child.kill('SIGKILL');
    expect(await kaProcess.exited).toBe(null);
    await send(30, 'while KA is down');
    await eventually(
      () => ids.every((id) => mh.store.outboxItem(id)?.status === 'accepted'),
      30_000,
      'MH accepts all while KA is down',
    );
    kaProcess = await startKa();
    await eventually(
      () => ids.every((id) => ka.store.inboxItem(id)),
      60_000,
      'KA station has everything',
    );
    const received = ka.store.inbox().filter((i) => ids.includes(i.alertId));
    expect(received).toHaveLength(ids.length);
    // Receipts from KA reach MH again once KA is back.
    await eventually(
      () => ids.every((id) => mh.store.trail(id).some((t) => t.kind === 'delivered')),
      60_000,
      'delivered receipts in MH',
    );
  });
});
