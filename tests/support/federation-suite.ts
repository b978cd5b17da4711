import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InProcessStream, NatsBackbone, type Backbone, type Broker } from '@cctns/broker';
import { X509Certificate } from 'node:crypto';
import {
  approvalOf,
  JwsSigner,
  loadPrivateKey,
  signAlert,
  signApproval,
  type Pki,
} from '@cctns/pki';
import { Alert } from '@cctns/proto';
import { Agent, composeAlert } from '@cctns/station-agent';
import { describeAlert } from '@cctns/station-agent/cli';
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
    let hq2: Agent; // hq/national/duty2, the second duty officer
    let hq3: Agent; // hq/national/duty3, revoked in the approval tests

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
    /** `a` with an approval signed by `by`, of `of` (default: `a` itself). */
    const approved = async (a: Alert, by: Agent, of: Alert = a): Promise<Alert> => ({
      ...a,
      approval: await signApproval(signerOf(by), {
        alert: of,
        approver: by.identity,
        at: new Date(),
      }),
    });
    const refusalOf = (agent: Agent, id: string) =>
      eventually(
        () =>
          agent.store.outboxItem(id)?.status === 'refused' ? agent.store.outboxItem(id) : undefined,
        20_000,
        `refusal of ${id}`,
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
      hq2 = await enrollStation(dir, pki, ca('CENTRAL'), brokers['national']!, 'hq/national/duty2');
      hq3 = await enrollStation(dir, pki, ca('CENTRAL'), brokers['national']!, 'hq/national/duty3');
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
      for (const a of [mh1, mh2, ka, hq, hq2, hq3]) await a?.close();
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
      await hq.send(await approved(a, hq2));
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

    it('refuses a national broadcast with one signature at the national broker (APPROVAL_REQUIRED), audited and delivered nowhere', async () => {
      const a = alert(hq, { national: true }, 'one signature only');
      await hq.send(a);
      expect((await refusalOf(hq, a.identifier)).reason).toBe('APPROVAL_REQUIRED');
      const audit = await brokers['national']!.store.findAudit({ action: 'alert.refused' });
      expect(audit.map((e) => e.body)).toContainEqual(
        expect.objectContaining({ actor: hq.identity, code: 'APPROVAL_REQUIRED' }),
      );
      for (const b of Object.values(brokers))
        expect(await b.store.get('alert', a.identifier)).toBeUndefined();
    });

    it('refuses an approval by the sender itself (APPROVER_SAME_AS_SENDER) and one of another alert (APPROVAL_INVALID)', async () => {
      const own = alert(hq, { national: true }, 'approved by its own composer');
      await hq.send(await approved(own, hq));
      expect((await refusalOf(hq, own.identifier)).reason).toBe('APPROVER_SAME_AS_SENDER');
      const other = alert(hq, { national: true }, 'the alert that was approved');
      const swapped = alert(hq, { national: true }, 'the alert that is sent');
      await hq.send(await approved(swapped, hq2, other));
      expect((await refusalOf(hq, swapped.identifier)).reason).toBe('APPROVAL_INVALID');
      // Same identifier, content changed after the approval: the digest no longer fits.
      const edited = await approved(other, hq2);
      edited.info[0]!.headline = 'changed after approval';
      await hq.send(edited);
      expect((await refusalOf(hq, other.identifier)).reason).toBe('APPROVAL_INVALID');
    });

    it('refuses an approval by a revoked duty officer (APPROVAL_INVALID)', async () => {
      const serial = new X509Certificate(readFileSync(join(hq3.dir, 'cert.pem'))).serialNumber;
      pki.unlockCa('CENTRAL', TEST_PASSPHRASE).revoke(serial, 'keyCompromise');
      const a = alert(hq, { national: true }, 'approved by a revoked officer');
      await hq.send(await approved(a, hq3));
      const refused = await refusalOf(hq, a.identifier);
      expect(refused.reason).toBe('APPROVAL_INVALID');
      expect(refused.message).toMatch(/revoked/);
    });

    it('refuses national broadcasts injected on the backbone without a valid approval, at every state broker', async () => {
      const rogue = await connect();
      const unapproved = alert(hq, { national: true }, 'injected with one signature');
      const selfApproved = await approved(
        alert(hq, { national: true }, 'injected, approved by its sender'),
        hq,
      );
      for (const [i, a] of [unapproved, selfApproved].entries()) {
        const jws = (await signAlert(signerOf(hq), a)).jws;
        for (const state of ['MH', 'KA'])
          await rogue.publish(
            `cctns.v1.${state}.national`,
            'alert',
            `rogue-approval-${i}-${state}`,
            jws,
          );
      }
      for (const name of ['MH1', 'MH2', 'KA']) {
        const m = brokers[name]!.metrics;
        await eventually(
          () =>
            m.value('cctns_backbone_refusals_total', { reason: 'APPROVAL_REQUIRED' }) >= 1 &&
            m.value('cctns_backbone_refusals_total', { reason: 'APPROVER_SAME_AS_SENDER' }) >= 1,
          20_000,
          `refusals counted at ${name}`,
        );
        const audit = await brokers[name]!.store.findAudit({ action: 'alert.refused' });
        expect(audit.map((e) => e.body)).toContainEqual(
          expect.objectContaining({ subject: unapproved.identifier, code: 'APPROVAL_REQUIRED' }),
        );
      }
      for (const a of [unapproved, selfApproved]) {
        for (const s of [mh1, mh2, ka]) expect(s.store.inboxItem(a.identifier)).toBeUndefined();
        for (const name of ['MH1', 'MH2', 'KA'])
          expect(await brokers[name]!.store.get('alert', a.identifier)).toBeUndefined();
      }
    });

    it('sends a national broadcast once a second officer approves the draft, and every station shows the approver', async () => {
      const a = alert(hq, { national: true }, 'NATIONAL: approved by a second duty officer');
      let drafted!: () => void;
      const waiting = new Promise<void>((r) => (drafted = r));
      const sent = hq.sendApproved(a, { timeoutMs: 20_000, pollMs: 50, onDraft: drafted });
      await waiting;
      // The composer may not approve its own draft, at its agent or at the broker.
      await expect(hq.approvals().approve(a.identifier)).rejects.toMatchObject({
        code: 'APPROVAL_INVALID',
      });
      const drafts = await hq2.approvals().list();
      expect(drafts.map((d) => d.alert.identifier)).toContain(a.identifier);
      await hq2.approvals().approve(a.identifier);
      expect(await sent).toEqual({ alertId: a.identifier, approver: hq2.identity });
      for (const s of [mh1, mh2, ka]) {
        const item = await eventually(
          () => s.store.inboxItem(a.identifier),
          20_000,
          `approved broadcast at ${s.identity}`,
        );
        const got = Alert.decode(Buffer.from(item.jws.split('.')[1]!, 'base64url'));
        expect(approvalOf(got)?.approver).toBe(hq2.identity);
        expect(describeAlert(got)).toContain(`approved:  ${hq2.identity}`);
      }
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

    it('applies what it missed together, in order: an Update published while it was down inherits the targets of its alert from the same catch-up', async () => {
      await brokers['KA']!.stop();
      const a = alert(mh1, { districts: ['KA/BENGALURU'] }, 'Vehicle seen heading south');
      await mh1.send(a);
      // Addressed to an MH station only: KA gets it through the targets it inherits from `a`.
      const u = composeAlert({
        sender: mh1.identity,
        to: { stations: [mh2.identity] },
        event: 'Inter-state alert',
        headline: 'Update: the vehicle turned back north',
        now: new Date(),
        msgType: 'update',
        references: [a.identifier],
      });
      await mh1.send(u);
      await eventually(
        () => [a, u].every((x) => mh1.store.outboxItem(x.identifier)?.status === 'accepted'),
        20_000,
        'accepted in MH',
      );
      await startKa();
      await eventually(
        () => ka.store.inboxItem(a.identifier) && ka.store.inboxItem(u.identifier),
        30_000,
        'KA catch-up of the alert and its update',
      );
      await eventually(() => mh2.store.inboxItem(u.identifier), 20_000, 'the update at MH');
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
