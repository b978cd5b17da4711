import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InProcessStream, NatsBackbone, type Backbone, type Broker } from '@cctns/broker';
import { JwsSigner, loadPrivateKey, signAlert, type Pki } from '@cctns/pki';
import { Agent, composeAlert } from '@cctns/station-agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  enrollStation,
  eventually,
  makePki,
  provision,
  runFast,
  startBroker,
  tempDir,
  testLogger,
  TEST_PASSPHRASE,
} from './network.js';
import { startNats } from './nats.js';
import { freePort } from './processes.js';

/** A backbone to federate over. */
export interface BackboneFactory {
  /** A raw connection (what a compromised broker would use). */
  connect(): Promise<Backbone>;
  /** How a broker joins: a backbone to hand it, or config fields (e.g. `nats`) it connects with. */
  brokerOptions(): Promise<{ backbone?: Backbone; overrides?: Record<string, unknown> }>;
  /** Restarts the backbone's server mid-stream (SIGKILL and start), where there is one. */
  restart?(): Promise<void>;
  cleanup(): Promise<void>;
}

/** Every broker on one in-process backbone (the embedded mode). */
export function inProcessFactory(): BackboneFactory {
  const stream = new InProcessStream();
  return {
    connect: async () => stream.connect(),
    brokerOptions: async () => ({ backbone: stream.connect() }),
    cleanup: async () => undefined,
  };
}

/**
 * A real nats-server (JetStream, mutual TLS with a `broker/<state>` certificate of the
 * deployment's PKI); brokers join through their `nats` config field with their own certificates,
 * and `connect` is a raw connection with another certificate of the same PKI.
 */
export async function natsFactory(
  dir: string,
  pki: Pki,
  state: string,
): Promise<BackboneFactory & { restart(): Promise<void> }> {
  const serverTls = join(dir, 'nats-server-tls');
  await provision(pki, pki.unlockCa(state, TEST_PASSPHRASE), `broker/${state}`, serverTls);
  const clientTls = join(dir, 'nats-raw-client-tls');
  await provision(pki, pki.unlockCa(state, TEST_PASSPHRASE), `broker/${state}`, clientTls);
  const nats = await startNats({ tls: { dir: serverTls } });
  return {
    connect: () =>
      NatsBackbone.connect({
        servers: nats.url,
        tls: {
          ca: join(clientTls, 'root.pem'),
          cert: join(clientTls, 'cert.pem'),
          key: join(clientTls, 'key.pem'),
        },
      }),
    brokerOptions: async () => ({ overrides: { nats: { servers: [nats.url] } } }),
    restart: async () => {
      await nats.kill();
      await nats.restart();
    },
    cleanup: () => nats.stop(),
  };
}

/**
 * The federation suite: state brokers for MH (two replicas) and KA and the national broker on
 * one backbone, stations and a national HQ operator linked to them. Run against every backbone
 * implementation (in-process and NATS JetStream).
 */
export function federationSuite(
  name: string,
  makeFactory: (ctx: { dir: string; pki: Pki }) => Promise<BackboneFactory>,
): void {
  describe(`federation over ${name}`, () => {
    const dir = tempDir(`fed-${name.replace(/\W+/g, '')}`);
    let factory: BackboneFactory;
    let pki: Pki;
    const brokers: Record<string, Broker> = {};
    const conns: Backbone[] = [];
    let kaPort = 0;
    let mh1: Agent; // station/MH/PUNE/PS001 on MH replica 1
    let mh2: Agent; // station/MH/MUMBAI/PS002 on MH replica 2
    let ka: Agent; // station/KA/BENGALURU/PS001
    let hq: Agent; // hq/national/duty1 on the national broker

    const connect = async () => {
      const c = await factory.connect();
      conns.push(c);
      return c;
    };
    const join_ = async (home: string, overrides: Record<string, unknown> = {}, replica = '1') => {
      const o = await factory.brokerOptions();
      if (o.backbone) conns.push(o.backbone);
      return startBroker(
        dir,
        pki,
        home,
        { ...overrides, ...o.overrides },
        { ...(o.backbone ? { backbone: o.backbone } : {}), replica },
      );
    };
    const startKa = async () =>
      (brokers['KA'] = await join_('KA', { listen: `127.0.0.1:${kaPort}` }));
    const alert = (from: Agent, to: Parameters<typeof composeAlert>[0]['to'], headline: string) =>
      composeAlert({
        sender: from.identity,
        to,
        event: 'Inter-state alert',
        headline,
        now: new Date(),
      });
    const signerOf = (agent: Agent) =>
      new JwsSigner(
        loadPrivateKey(readFileSync(join(agent.dir, 'key.pem'), 'utf8'), undefined, 'key')
          .privateKey,
        readFileSync(join(agent.dir, 'cert.pem'), 'utf8'),
      );

    beforeAll(async () => {
      ({ pki } = await makePki(dir, ['MH', 'KA', 'DL', 'CENTRAL']));
      factory = await makeFactory({ dir, pki });
      kaPort = await freePort();
      brokers['national'] = await join_('national');
      brokers['MH1'] = await join_('MH', {}, '1');
      brokers['MH2'] = await join_('MH', {}, '2');
      await startKa();
      const ca = (n: string) => pki.unlockCa(n, TEST_PASSPHRASE);
      mh1 = await enrollStation(dir, pki, ca('MH'), brokers['MH1']!, 'station/MH/PUNE/PS001');
      mh2 = await enrollStation(dir, pki, ca('MH'), brokers['MH2']!, 'station/MH/MUMBAI/PS002');
      ka = await enrollStation(dir, pki, ca('KA'), brokers['KA']!, 'station/KA/BENGALURU/PS001');
      hq = await enrollStation(dir, pki, ca('CENTRAL'), brokers['national']!, 'hq/national/duty1');
      for (const a of [mh1, mh2, ka, hq]) runFast(a);
      await eventually(
        () =>
          brokers['KA']!.connectedStations().length === 1 &&
          brokers['national']!.connectedStations().length === 1,
        20_000,
        'links',
      );
    }, 120_000);

    afterAll(async () => {
      for (const a of [mh1, mh2, ka, hq]) await a?.close();
      for (const b of Object.values(brokers)) await b.stop().catch(() => undefined);
      for (const c of conns) await c.close().catch(() => undefined);
      pki?.close();
      await factory?.cleanup();
    });

    it('carries an alert from a station in MH to a district in KA, and the receipts back to MH and to the national broker', async () => {
      const a = alert(
        mh1,
        { districts: ['KA/BENGALURU'] },
        'Wanted in Pune, fled towards Bengaluru',
      );
      await mh1.send(a);
      await eventually(() => ka.store.inboxItem(a.identifier), 20_000, 'KA delivery');
      await ka.acknowledge(a.identifier, 'checkposts alerted');
      const trail = await eventually(
        () => {
          const t = mh1.store.trail(a.identifier);
          return t.length === 3 ? t : undefined;
        },
        20_000,
        'receipts back in MH',
      );
      expect(trail.every((t) => t.station === ka.identity)).toBe(true);
      await eventually(
        async () => (await brokers['national']!.store.receipts(a.identifier)).length === 3,
        20_000,
        'national supervision',
      );
      // KA's broker knows what its own station acknowledged (it escalates for its stations).
      await eventually(
        async () => (await brokers['KA']!.store.receipts(a.identifier)).length === 3,
        20_000,
        "receipts in the station's state",
      );
      expect(mh2.store.inboxItem(a.identifier)).toBeUndefined();
    });

    it('sends a direct message from KA to a station on the other MH replica', async () => {
      const a = alert(
        ka,
        { stations: [mh2.identity] },
        'Direct: vehicle KA01AB1234 seen heading to Mumbai',
      );
      await ka.send(a);
      await eventually(() => mh2.store.inboxItem(a.identifier), 20_000, 'delivery on replica 2');
      await eventually(
        () => ka.store.trail(a.identifier).length === 1,
        20_000,
        'delivered receipt back to KA',
      );
    });

    it('broadcasts a national alert from national HQ to every station of every state, and refuses one from a station', async () => {
      const a = alert(hq, { national: true }, 'NATIONAL: heinous crime — suspect at large');
      await hq.send(a);
      for (const s of [mh1, mh2, ka])
        await eventually(
          () => s.store.inboxItem(a.identifier),
          20_000,
          `national to ${s.identity}`,
        );
      const bad = alert(mh1, { national: true }, 'not allowed');
      await mh1.send(bad);
      const refused = await eventually(
        () =>
          mh1.store.outboxItem(bad.identifier)?.status === 'refused'
            ? mh1.store.outboxItem(bad.identifier)
            : undefined,
        20_000,
        'refusal',
      );
      expect(refused.reason).toBe('SCOPE_FORBIDDEN');
    });

    it('lets a station move to another replica of its state without a gap or a duplicate', async () => {
      const before = mh2.store.inbox().length;
      await mh2.close();
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const a = alert(mh1, { states: ['MH'] }, `state-wide ${i}`);
        await mh1.send(a);
        ids.push(a.identifier);
      }
      await eventually(
        () => ids.every((id) => mh1.store.outboxItem(id)?.status === 'accepted'),
        20_000,
        'accepted',
      );
      const cfgPath = join(mh2.dir, 'agent.json');
      writeFileSync(
        cfgPath,
        JSON.stringify({
          ...JSON.parse(readFileSync(cfgPath, 'utf8')),
          broker: brokers['MH1']!.addresses.grpc,
        }),
      );
      mh2 = Agent.open(mh2.dir, { logger: testLogger });
      runFast(mh2);
      await eventually(
        () => ids.every((id) => mh2.store.inboxItem(id)),
        20_000,
        'catch-up on replica 1',
      );
      await new Promise((r) => setTimeout(r, 300));
      expect(mh2.store.inbox().length).toBe(before + 3);
    });

    it('delivers to a state whose broker was down everything published meanwhile', async () => {
      await brokers['KA']!.stop();
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const a = alert(mh1, { states: ['KA'] }, `while KA was down ${i}`);
        await mh1.send(a);
        ids.push(a.identifier);
      }
      await eventually(
        () => ids.every((id) => mh1.store.outboxItem(id)?.status === 'accepted'),
        20_000,
        'accepted in MH',
      );
      await startKa();
      await eventually(() => ids.every((id) => ka.store.inboxItem(id)), 30_000, 'KA catch-up');
    });

    it('loses no acknowledged alert and shows no duplicate when the backbone server restarts mid-stream', async (ctx) => {
      if (!factory.restart) return ctx.skip(); // the in-process backbone has no server to restart
      const ids: string[] = [];
      for (let i = 0; i < 30; i++) {
        const a = alert(mh1, { districts: ['KA/BENGALURU'] }, `through a backbone restart ${i}`);
        ids.push(a.identifier);
        await mh1.send(a);
      }
      await eventually(
        () => ids.filter((id) => mh1.store.outboxItem(id)?.status === 'accepted').length >= 5,
        30_000,
        'some accepted',
      );
      const acknowledgedBefore = ids.filter(
        (id) => mh1.store.outboxItem(id)?.status === 'accepted',
      );
      await factory.restart();
      await eventually(
        () => ids.every((id) => mh1.store.outboxItem(id)?.status === 'accepted'),
        60_000,
        'all accepted after the restart',
      );
      await eventually(
        () => ids.every((id) => ka.store.inboxItem(id)),
        60_000,
        'all delivered in KA',
      );
      for (const id of acknowledgedBefore) expect(ka.store.inboxItem(id)).toBeDefined();
      const inKa = ka.store.inbox().filter((i) => ids.includes(i.alertId));
      expect(inKa).toHaveLength(ids.length);
    }, 120_000);

    it('refuses what a compromised broker injects on the backbone: forged, misrouted, out of scope', async () => {
      const rogue = await connect();
      const forged = alert(mh1, { states: ['KA'] }, 'forged');
      const jws = (await signAlert(signerOf(mh1), forged)).jws;
      const tampered = `${jws.slice(0, -6)}AAAAAA`;
      await rogue.publish('cctns.v1.KA.state', 'alert', 'rogue-1', tampered);
      const misrouted = alert(mh1, { stations: [mh1.identity] }, 'for MH only');
      await rogue.publish(
        'cctns.v1.KA.state',
        'alert',
        'rogue-2',
        (await signAlert(signerOf(mh1), misrouted)).jws,
      );
      const national = alert(mh1, { national: true }, 'a station may not broadcast nationally');
      await rogue.publish(
        'cctns.v1.KA.national',
        'alert',
        'rogue-3',
        (await signAlert(signerOf(mh1), national)).jws,
      );
      await rogue.publish('cctns.v1.KA.bogus.subject', 'alert', 'rogue-4', jws);
      const m = brokers['KA']!.metrics;
      await eventually(
        () =>
          m.value('cctns_backbone_refusals_total', { reason: 'SIGNATURE_INVALID' }) >= 1 &&
          m.value('cctns_backbone_refusals_total', { reason: 'SUBJECT_INVALID' }) >= 2 &&
          m.value('cctns_backbone_refusals_total', { reason: 'SCOPE_FORBIDDEN' }) >= 1,
        20_000,
        'refusals counted',
      );
      for (const a of [forged, misrouted, national])
        expect(ka.store.inboxItem(a.identifier)).toBeUndefined();
      // The link and the backbone keep working after the refusals.
      const after = alert(mh1, { states: ['KA'] }, 'genuine, after the attack');
      await mh1.send(after);
      await eventually(
        () => ka.store.inboxItem(after.identifier),
        20_000,
        'genuine alert still flows',
      );
    });
  });
}
