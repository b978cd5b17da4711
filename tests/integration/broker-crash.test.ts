import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IssuingCa, Pki } from '@cctns/pki';
import { Agent, composeAlert, enroll } from '@cctns/station-agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cctns } from '../support/cli.js';
import {
  eventually,
  makePki,
  runFast,
  tempDir,
  TEST_PASSPHRASE,
  testLogger,
} from '../support/network.js';
import { freePort, startCctns, type CctnsProcess } from '../support/processes.js';

// A broker process killed with SIGKILL in the middle of a stream of alerts, then restarted on
// the same address and database: no acknowledged alert is lost, no officer sees a duplicate.
const dir = tempDir('crash');
const env = { CCTNS_CA_PASSPHRASE: TEST_PASSPHRASE };
let pki: Pki;
let mh: IssuingCa;
let broker: CctnsProcess;
let config: string;
let sender: Agent;
let receiver: Agent;
const N = 150;

async function startBroker(): Promise<CctnsProcess> {
  const p = startCctns(['--json', 'broker', 'start', '--config', config, '--log-level', 'warn'], {
    env,
  });
  await p.ready;
  return p;
}

async function station(identity: string, enrollAddress: string, grpc: string): Promise<Agent> {
  const adir = join(dir, identity.replace(/\//g, '_'));
  const { token } = await mh.createToken(identity);
  await enroll({ dir: adir, broker: grpc, enrollAddress, token, rootPem: pki.root.toString() });
  return Agent.open(adir, { logger: testLogger });
}

beforeAll(async () => {
  ({ pki } = await makePki(dir, ['MH']));
  mh = pki.unlockCa('MH', TEST_PASSPHRASE);
  const [port, enrollPort] = [await freePort(), await freePort()];
  const init = await cctns(
    [
      'broker',
      'init',
      '--identity',
      'broker/MH',
      '--out',
      join(dir, 'broker'),
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
  config = join(dir, 'broker', 'broker.json');
  // A generous rate limit: this test is about crashes, not floods.
  const cfg = JSON.parse(readFileSync(config, 'utf8')) as Record<string, unknown>;
  writeFileSync(
    config,
    JSON.stringify({ ...cfg, limits: { ratePerSecond: 10_000, burst: 10_000 } }),
  );
  broker = await startBroker();
  sender = await station('station/MH/PUNE/PS001', `127.0.0.1:${enrollPort}`, `127.0.0.1:${port}`);
  receiver = await station('station/MH/PUNE/PS002', `127.0.0.1:${enrollPort}`, `127.0.0.1:${port}`);
  runFast(sender);
  runFast(receiver);
}, 90_000);

afterAll(async () => {
  await sender?.close();
  await receiver?.close();
  broker?.child.kill('SIGKILL');
  pki?.close();
});

describe('broker killed with SIGKILL mid-stream', () => {
  it('loses no acknowledged alert and shows no duplicate after a restart', async () => {
    const ids: string[] = [];
    for (let i = 0; i < N; i++) {
      const alert = composeAlert({
        sender: sender.identity,
        to: { stations: [receiver.identity] },
        event: 'Crash test',
        headline: `alert ${i}`,
        now: new Date(),
      });
      ids.push(alert.identifier);
      await sender.send(alert);
    }
    // Kill once part of the stream is acknowledged, while the rest is still moving.
    await eventually(
      () => ids.filter((id) => sender.store.outboxItem(id)?.status === 'accepted').length >= N / 4,
      30_000,
      'a quarter accepted',
    );
    broker.child.kill('SIGKILL');
    expect(await broker.exited).toBe(null);
    const acknowledgedBeforeKill = ids.filter(
      (id) => sender.store.outboxItem(id)?.status === 'accepted',
    );
    expect(acknowledgedBeforeKill.length).toBeLessThan(N);

    broker = await startBroker();
    await eventually(
      () => ids.every((id) => sender.store.outboxItem(id)?.status === 'accepted'),
      60_000,
      'every alert accepted after restart',
    );
    await eventually(() => receiver.store.inbox().length >= N, 60_000, 'every alert delivered');

    const inbox = receiver.store.inbox();
    expect(inbox).toHaveLength(N);
    expect(new Set(inbox.map((i) => i.alertId)).size).toBe(N);
    for (const id of acknowledgedBeforeKill) expect(receiver.store.inboxItem(id)).toBeDefined();
    // The broker's log holds each alert once, however often the agent had to resend it.
    const list = await cctns([
      '--json',
      'agent',
      '--dir',
      sender.dir,
      'sent',
      '--limit',
      String(N + 10),
    ]);
    const sent = JSON.parse(list.stdout) as Array<{ status: string; seq: number }>;
    expect(sent).toHaveLength(N);
    expect(new Set(sent.map((s) => s.seq)).size).toBe(N);
  });
});
