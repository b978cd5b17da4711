import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Broker } from '@cctns/broker';
import type { Pki } from '@cctns/pki';
import {
  Alert,
  Gender,
  PersonStatus,
  VehicleRecordStatus,
  type LookupResponse,
} from '@cctns/proto';
import { RecordsClient, type Agent } from '@cctns/station-agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cctns } from './cli.js';
import type { BackboneFactory } from './federation-suite.js';
import {
  enrollStation,
  eventually,
  makePki,
  provision,
  runFast,
  startBroker,
  tempDir,
  TEST_PASSPHRASE,
} from './network.js';

/**
 * Records and lookups across three states and the national broker on a backbone (in-process or
 * NATS), over real mutual-TLS gRPC.
 */
export function lookupSuite(
  name: string,
  makeFactory: (ctx: { dir: string; pki: Pki }) => Promise<BackboneFactory>,
): void {
  // Records and lookups across states over real mutual-TLS gRPC on one backbone: stations enter
  // records at their state broker; agencies search through the national broker, which fans out to
  // every state; each state broker checks the caller's signed purpose and grant itself.
  const dir = tempDir(`lookup-${name.replace(/\W+/g, '')}`);
  let factory: BackboneFactory;
  let pki: Pki;
  const brokers = new Map<string, Broker>();
  let mhStation: Agent;
  const clients = new Map<string, RecordsClient>();
  const purpose = { reference: 'FIR 77/2026 PS Swargate', reason: 'investigation' };
  const THREE = ['DL', 'KA', 'MH'];

  async function client(identity: string, home: string): Promise<RecordsClient> {
    const ca = identity.startsWith('station/') ? identity.split('/')[1]! : 'CENTRAL';
    const cdir = join(dir, 'clients', identity.replace(/\//g, '_'));
    await provision(pki, pki.unlockCa(ca, TEST_PASSPHRASE), identity, cdir);
    const c = RecordsClient.fromFiles({
      identity,
      trustDomain: 'cctns.local',
      broker: brokers.get(home)!.addresses.grpc,
      key: join(cdir, 'key.pem'),
      cert: join(cdir, 'cert.pem'),
      root: join(cdir, 'root.pem'),
    });
    clients.set(identity, c);
    return c;
  }

  const person = (name: string, status: PersonStatus, extra: Record<string, unknown> = {}) => ({
    id: '',
    owner: '',
    links: [],
    externalRef: '',
    version: 0,
    kind: {
      $case: 'person' as const,
      value: {
        name,
        aliases: [],
        fatherName: '',
        gender: Gender.GENDER_MALE,
        age: 34,
        dateOfBirth: '',
        status,
        identifyingMarks: [],
        address: '',
        ...extra,
      },
    },
  });

  beforeAll(async () => {
    ({ pki } = await makePki(dir, ['MH', 'KA', 'DL', 'CENTRAL']));
    factory = await makeFactory({ dir, pki });
    for (const home of ['national', ...THREE]) {
      const o = await factory.brokerOptions();
      brokers.set(
        home,
        await startBroker(
          dir,
          pki,
          home,
          { lookupTimeoutMs: 1500, ...o.overrides },
          o.backbone ? { backbone: o.backbone } : {},
        ),
      );
    }
    mhStation = await enrollStation(
      dir,
      pki,
      pki.unlockCa('MH', TEST_PASSPHRASE),
      brokers.get('MH')!,
      'station/MH/PUNE/PS001',
    );
    runFast(mhStation);
    const mh = await client('station/MH/PUNE/PS001', 'MH');
    const ka = await client('station/KA/BENGALURU/PS001', 'KA');
    const dl = await client('station/DL/NEW-DELHI/PS001', 'DL');
    expect((await mh.put(person('राम कुमार', PersonStatus.PERSON_STATUS_WANTED))).id).toBe(
      'person:MH-1',
    );
    await mh.put({
      ...person('', 0),
      kind: {
        $case: 'vehicle',
        value: {
          registration: 'mh-12 ab 1234',
          chassis: '',
          engine: '',
          make: 'Maruti',
          model: 'Swift',
          colour: 'white',
          status: VehicleRecordStatus.VEHICLE_RECORD_STATUS_STOLEN,
        },
      },
    });
    await ka.put(person('Mohammed Irfan', PersonStatus.PERSON_STATUS_ACCUSED));
    await dl.put(person('Sunil Yadav', PersonStatus.PERSON_STATUS_MISSING));
    await dl.put(person('Anil Sharma', PersonStatus.PERSON_STATUS_ARRESTED));
    await client('agency/CBI/DELHI-HQ', 'national');
    await client('agency/RPF/MUMBAI-DIV', 'national');
  }, 90_000);

  afterAll(async () => {
    for (const c of clients.values()) c.close();
    await mhStation?.close();
    for (const b of [...brokers.values()].reverse()) await b.stop().catch(() => undefined);
    await factory?.cleanup();
    pki?.close();
  });

  const names = (r: LookupResponse) =>
    r.matches.map((m) =>
      m.record?.kind?.$case === 'person' ? m.record.kind.value.name : m.record?.id,
    );

  describe(`lookups across states: ${name}`, () => {
    it('finds a Devanagari name from its Latin spelling, nationally, and names every state that did not answer', async () => {
      const cbi = clients.get('agency/CBI/DELHI-HQ')!;
      const r = await cbi.search({
        query: {
          $case: 'person',
          value: {
            name: 'Ram Kumar',
            fatherName: '',
            ageFrom: 0,
            ageTo: 0,
            gender: 0,
            district: '',
            status: 0,
          },
        },
        purpose,
      });
      expect(names(r)).toEqual(['राम कुमार']);
      expect(r.matches[0]).toMatchObject({
        state: 'MH',
        record: { id: 'person:MH-1', owner: 'station/MH/PUNE/PS001' },
      });
      expect(r.answered).toEqual(THREE);
      // The other 33 States/UTs have no broker in this network: named, never silently dropped.
      expect(r.missing).toHaveLength(33);
      expect(r.missing[0]).toMatchObject({ reason: 'NO_RESPONDER' });
    });

    it('matches spelling variants, and vehicles by any spelling of the number', async () => {
      const cbi = clients.get('agency/CBI/DELHI-HQ')!;
      const irfan = await cbi.search({
        query: {
          $case: 'person',
          value: {
            name: 'Mohd Irfan',
            fatherName: '',
            ageFrom: 0,
            ageTo: 0,
            gender: 0,
            district: '',
            status: 0,
          },
        },
        purpose,
        states: THREE,
      });
      expect(names(irfan)).toEqual(['Mohammed Irfan']);
      expect(irfan.missing).toEqual([]);
      const car = await cbi.search({
        query: {
          $case: 'vehicle',
          value: { registration: 'MH12 AB-1234', chassis: '', engine: '' },
        },
        purpose: { reference: 'FIR 9/2026', reason: 'stolen-vehicle' },
        states: THREE,
      });
      expect(car.matches.map((m) => m.record?.id)).toEqual(['vehicle:MH-1']);
      const none = await cbi.search({
        query: {
          $case: 'person',
          value: {
            name: 'Suresh Patil',
            fatherName: '',
            ageFrom: 0,
            ageTo: 0,
            gender: 0,
            district: '',
            status: 0,
          },
        },
        purpose,
        states: THREE,
      });
      expect(none.matches).toEqual([]);
    });

    it('refuses a lookup without a purpose, beyond the grant, or with absurd parameters', async () => {
      const cbi = clients.get('agency/CBI/DELHI-HQ')!;
      const rpf = clients.get('agency/RPF/MUMBAI-DIV')!;
      const q = (name: string) => ({
        $case: 'person' as const,
        value: { name, fatherName: '', ageFrom: 0, ageTo: 0, gender: 0, district: '', status: 0 },
      });
      await expect(
        cbi.search({ query: q('Ram'), purpose: { reference: '', reason: '' }, states: THREE }),
      ).rejects.toMatchObject({
        details: expect.stringContaining('PURPOSE_REQUIRED'),
      });
      await expect(
        rpf.search({
          query: {
            $case: 'caseQuery',
            value: { firNumber: '12/2026', modusOperandi: '', district: '' },
          },
          purpose,
          states: THREE,
        }),
      ).rejects.toMatchObject({ details: expect.stringContaining('GRANT_DENIED') });
      for (const bad of ['', '   ', '{"$gt": ""}'.replace(/\w/g, '') /* no letters */])
        await expect(cbi.search({ query: q(bad), purpose, states: THREE })).rejects.toMatchObject({
          details: expect.stringContaining('QUERY_INVALID'),
        });
      await expect(
        cbi.search({ query: q('Ram'), purpose, states: THREE, limit: 100_000 }),
      ).rejects.toMatchObject({
        details: expect.stringContaining('QUERY_INVALID'),
      });
      // Injection-looking text is just a name that matches nothing.
      const odd = await cbi.search({
        query: q("Robert'); DROP TABLE records;--"),
        purpose,
        states: THREE,
      });
      expect(odd.matches).toEqual([]);
    });

    it('refuses a lookup from a revoked certificate at the connection', async () => {
      const nia = await client('agency/NIA/DELHI', 'national');
      const cert = readFileSync(join(dir, 'clients', 'agency_NIA_DELHI', 'cert.pem'));
      pki
        .unlockCa('CENTRAL', TEST_PASSPHRASE)
        .revoke(new X509Certificate(cert).serialNumber, 'keyCompromise');
      await expect(
        nia.search({
          query: {
            $case: 'vehicle',
            value: { registration: 'MH12AB1234', chassis: '', engine: '' },
          },
          purpose,
          states: THREE,
        }),
      ).rejects.toMatchObject({ details: expect.stringContaining('CERT_REFUSED') });
    });

    it('tells the owning station at once when a lookup finds its wanted record, and audits who searched and why', async () => {
      const notice = await eventually(
        () => mhStation.store.inbox().find((i) => i.headline.includes('wanted record person:MH-1')),
        15_000,
        'hit notice in the MH station inbox',
      );
      expect(notice.sender).toBe('broker/MH');
      // The station verified the broker's signature when it stored the notice; read its text.
      const jws = mhStation.store.inboxItem(notice.alertId)!.jws;
      const alert = Alert.decode(Buffer.from(jws.split('.')[1]!, 'base64url'));
      expect(alert.info[0]!.description).toContain(
        'agency/CBI/DELHI-HQ found your record person:MH-1',
      );
      expect(alert.info[0]!.description).toContain('FIR 77/2026 PS Swargate (investigation)');
      const r = await cctns([
        '--json',
        'audit',
        'report',
        '--db',
        join(dir, 'broker-MH', 'broker.db'),
        '--subject',
        'person:MH-1',
      ]);
      const entries = (JSON.parse(r.stdout) as { entries: Array<Record<string, unknown>> }).entries;
      expect(entries).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ actor: 'station/MH/PUNE/PS001', action: 'record.add' }),
          expect.objectContaining({
            actor: 'agency/CBI/DELHI-HQ',
            action: 'record.disclosed',
            purpose,
          }),
        ]),
      );
    });

    it('returns partial results naming a state whose broker is down', async () => {
      await brokers.get('KA')!.stop();
      brokers.delete('KA');
      const cbi = clients.get('agency/CBI/DELHI-HQ')!;
      const r = await cbi.search({
        query: {
          $case: 'person',
          value: {
            name: 'Sunil Yadav',
            fatherName: '',
            ageFrom: 0,
            ageTo: 0,
            gender: 0,
            district: '',
            status: 0,
          },
        },
        purpose: { reference: 'Missing person report 5/2026', reason: 'missing-person' },
        states: THREE,
      });
      expect(names(r)).toEqual(['Sunil Yadav']);
      expect(r.answered).toEqual(['DL', 'MH']);
      expect(r.missing).toEqual([expect.objectContaining({ state: 'KA', reason: 'NO_RESPONDER' })]);
    });
  });
}
