import { join } from 'node:path';
import type { Pki } from '@cctns/pki';
import { composeAlert, type Agent } from '@cctns/station-agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNats, type NatsServer } from '../support/nats.js';
import {
  eventually,
  makePki,
  provision,
  runFast,
  tempDir,
  TEST_PASSPHRASE,
} from '../support/network.js';
import { printFigures, secondsSince, seededRandom } from './figures.js';
import { enrollAt, initProcessBroker, type ProcessBroker } from './process-broker.js';

// Two state brokers, each its own process on a real nats-server (JetStream, mutual TLS), killed
// with SIGKILL 20 times, each side in turn, while a station of each state keeps sending alerts to
// the other state. Every alert its broker acknowledged must reach the other station, once.
const KILLS = Number(process.env['FAULT_KILLS'] ?? 20);
const dir = tempDir('fault-kill');
let pki: Pki;
let nats: NatsServer;
const brokers: Record<'MH' | 'KA', ProcessBroker> = {} as never;
const agents: Record<'MH' | 'KA', Agent> = {} as never;
let stopSending = () => undefined as unknown;
const sent: Record<'MH' | 'KA', string[]> = { MH: [], KA: [] };

beforeAll(async () => {
  ({ pki } = await makePki(dir, ['MH', 'KA', 'DL']));
  await provision(pki, pki.unlockCa('DL', TEST_PASSPHRASE), 'broker/DL', join(dir, 'nats-tls'));
  nats = await startNats({ tls: { dir: join(dir, 'nats-tls') } });
  for (const state of ['MH', 'KA'] as const) {
    brokers[state] = await initProcessBroker(dir, pki, state, { nats: { servers: [nats.url] } });
    await brokers[state].start();
  }
  agents.MH = await enrollAt(pki, brokers.MH, 'station/MH/PUNE/PS001', join(dir, 'mh-station'));
  agents.KA = await enrollAt(
    pki,
    brokers.KA,
    'station/KA/BENGALURU/PS001',
    join(dir, 'ka-station'),
  );
  runFast(agents.MH);
  runFast(agents.KA);
}, 120_000);

afterAll(async () => {
  stopSending();
  await agents.MH?.close();
  await agents.KA?.close();
  await brokers.MH?.kill();
  await brokers.KA?.kill();
  await nats?.stop();
  pki?.close();
});

/** Alerts of `from`'s station its broker has acknowledged. */
const acknowledged = (from: 'MH' | 'KA') =>
  sent[from].filter((id) => agents[from].store.outboxItem(id)?.status === 'accepted');

describe('state brokers SIGKILLed 20 times during a stream of alerts between two states', () => {
  it('loses no acknowledged alert and duplicates none', async () => {
    let sending = true;
    stopSending = () => (sending = false);
    const stream = (async () => {
      for (let i = 0; sending; i++) {
        for (const [from, to] of [
          ['MH', 'KA/BENGALURU'],
          ['KA', 'MH/PUNE'],
        ] as const) {
          const alert = composeAlert({
            sender: agents[from].identity,
            to: { districts: [to] },
            event: 'Inter-state',
            headline: `${from} alert ${i}`,
            now: new Date(),
          });
          sent[from].push(alert.identifier);
          await agents[from].send(alert);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    })();

    const random = seededRandom(20);
    const start = performance.now();
    const downtimes: number[] = [];
    // Each kill lands while alerts are moving, or while the other side is still recovering from
    // the kill before (a restarted broker waits for what its killed consumer left unacknowledged).
    await eventually(
      () => acknowledged('MH').length > 5 && acknowledged('KA').length > 5,
      30_000,
      'traffic before the first kill',
    );
    for (let k = 0; k < KILLS; k++) {
      await new Promise((r) => setTimeout(r, 1000 + random() * 1500));
      const side = k % 2 === 0 ? 'MH' : 'KA';
      const down = performance.now();
      await brokers[side].kill();
      await brokers[side].start();
      downtimes.push(secondsSince(down));
      process.stderr.write(
        `[fault] kill ${k + 1} (${side}): back after ${downtimes.at(-1)!.toFixed(2)} s; acknowledged MH ${acknowledged('MH').length} KA ${acknowledged('KA').length} of ${sent.MH.length} / ${sent.KA.length}; ${secondsSince(start).toFixed(1)} s\n`,
      );
    }
    sending = false;
    await stream;
    const drain = performance.now();

    for (const [from, to] of [
      ['MH', 'KA'],
      ['KA', 'MH'],
    ] as const) {
      await eventually(
        () => acknowledged(from).length === sent[from].length,
        150_000,
        `every ${from} alert acknowledged`,
      );
      await eventually(
        () => sent[from].every((id) => agents[to].store.inboxItem(id)),
        150_000,
        `every ${from} alert held by the ${to} station`,
      );
    }

    const figures: Record<string, number | string> = { kills: KILLS };
    for (const [from, to] of [
      ['MH', 'KA'],
      ['KA', 'MH'],
    ] as const) {
      const ids = new Set(sent[from]);
      const held = agents[to].store.inbox().filter((i) => ids.has(i.alertId));
      const distinct = new Set(held.map((i) => i.alertId)).size;
      const lost = acknowledged(from).filter((id) => !agents[to].store.inboxItem(id)).length;
      const duplicated = held.length - distinct;
      expect(lost).toBe(0);
      expect(duplicated).toBe(0);
      expect(distinct).toBe(sent[from].length);
      figures[`${from}→${to} acknowledged`] = acknowledged(from).length;
      figures[`${from}→${to} held`] = distinct;
      figures[`${from}→${to} lost`] = lost;
      figures[`${from}→${to} duplicated`] = duplicated;
    }
    figures['seconds per kill and restart (mean)'] =
      downtimes.reduce((a, b) => a + b, 0) / downtimes.length;
    figures['seconds from the last restart until all delivered'] = secondsSince(drain);
    figures['run (s)'] = secondsSince(start);
    printFigures('brokers SIGKILLed', figures);
  });
});
