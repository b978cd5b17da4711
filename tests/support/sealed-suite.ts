import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteBrokerStore, type Broker } from '@cctns/broker';
import { loadPrivateKey, type Pki } from '@cctns/pki';
import { Alert, Gender, PersonStatus, Record as RecordMsg } from '@cctns/proto';
import { composeAlert, openSealed, type Agent } from '@cctns/station-agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cctns } from './cli.js';
import type { BackboneFactory } from './federation-suite.js';
import {
  enrollStation,
  eventually,
  makePki,
  runFast,
  startBroker,
  tempDir,
  TEST_PASSPHRASE,
} from './network.js';

/** Sealed case records between two states' stations, on a backbone given by the factory. */
export function sealedSuite(
  name: string,
  makeFactory: (ctx: { dir: string; pki: Pki }) => Promise<BackboneFactory>,
): void {
  // A case record sealed from a station in one state to a station in another: signed by the
  // sender, encrypted to the recipient's certificate, relayed by two brokers that cannot read it.
  const dir = tempDir(`sealed-${name.replace(/\W+/g, '')}`);
  let factory: BackboneFactory;
  let pki: Pki;
  const brokers = new Map<string, Broker>();
  let sender: Agent; // station/MH/PUNE/PS001
  let recipient: Agent; // station/KA/BENGALURU/PS001
  let bystander: Agent; // station/KA/MYSURU/PS002
  const SECRET_NAME = 'Zorawar Singh Bhullar';

  const record: RecordMsg = {
    id: 'case:MH-7',
    owner: 'station/MH/PUNE/PS001',
    links: ['person:MH-3'],
    externalRef: '',
    version: 2,
    updatedAt: new Date('2026-11-20T10:00:00Z'),
    kind: {
      $case: 'person',
      value: {
        name: SECRET_NAME,
        aliases: ['ज़ोरावर'],
        fatherName: 'Harbans Singh',
        gender: Gender.GENDER_MALE,
        age: 41,
        dateOfBirth: '',
        status: PersonStatus.PERSON_STATUS_WANTED,
        identifyingMarks: ['tattoo on right forearm'],
        address: '',
      },
    },
  };

  beforeAll(async () => {
    ({ pki } = await makePki(dir, ['MH', 'KA']));
    factory = await makeFactory({ dir, pki });
    for (const home of ['MH', 'KA']) {
      const o = await factory.brokerOptions();
      brokers.set(
        home,
        await startBroker(
          dir,
          pki,
          home,
          o.overrides ?? {},
          o.backbone ? { backbone: o.backbone } : {},
        ),
      );
    }
    const enrollAt = (s: string) =>
      enrollStation(
        dir,
        pki,
        pki.unlockCa(s.split('/')[1]!, TEST_PASSPHRASE),
        brokers.get(s.split('/')[1]!)!,
        s,
      );
    sender = await enrollAt('station/MH/PUNE/PS001');
    recipient = await enrollAt('station/KA/BENGALURU/PS001');
    bystander = await enrollAt('station/KA/MYSURU/PS002');
    for (const a of [sender, recipient, bystander]) runFast(a);
    // Stations' certificates are known to their brokers once they have linked.
    await eventually(
      async () => {
        const store = new SqliteBrokerStore(join(dir, 'broker-KA', 'broker.db'));
        try {
          return (await store.stationCertificate(recipient.identity)) !== undefined;
        } finally {
          await store.close();
        }
      },
      10_000,
      'the recipient linked',
    );
  }, 60_000);

  afterAll(async () => {
    for (const a of [sender, recipient, bystander]) await a?.close();
    for (const b of brokers.values()) await b.stop();
    await factory?.cleanup();
    pki?.close();
  });

  describe(`sealed case records: ${name}`, () => {
    let alertId = '';
    const scan = Buffer.alloc(20_000, 7);

    it('reaches the recipient in another state, who opens it and checks who wrote it', async () => {
      const sent = await sender.sendSealed({
        recipient: recipient.identity,
        records: [record],
        attachments: [{ name: 'fir-scan.pdf', mediaType: 'application/pdf', data: scan }],
        note: 'For your case 12/2026',
      });
      alertId = sent.alertId;
      await eventually(() => recipient.store.inboxItem(alertId), 15_000, 'sealed record delivered');
      const pkg = await recipient.openSealed(alertId);
      expect(pkg).toMatchObject({
        sender: sender.identity,
        recipient: recipient.identity,
        note: 'For your case 12/2026',
        records: [expect.objectContaining({ id: 'case:MH-7', links: ['person:MH-3'] })],
      });
      expect(pkg.records[0]!.kind).toEqual(record.kind);
      expect(Buffer.from(pkg.attachments[0]!.data).equals(scan)).toBe(true);
      // Receipts come back as for any alert.
      await recipient.acknowledge(alertId, 'received, thank you');
      await eventually(
        () => sender.store.trail(alertId).some((t) => t.kind === 'acknowledged'),
        15_000,
        'acknowledgement back at the sender',
      );
    });

    it('goes from the command line too: send-record with a file, open-record writes it out', async () => {
      const recordFile = join(dir, 'record.json');
      writeFileSync(recordFile, JSON.stringify(RecordMsg.toJSON(record)));
      const scanFile = join(dir, 'scan.png');
      writeFileSync(scanFile, Buffer.alloc(5_000, 3));
      const sent = await cctns([
        '--json',
        'agent',
        '--dir',
        sender.dir,
        'send-record',
        '--to',
        recipient.identity,
        '--record-file',
        recordFile,
        '--attach',
        scanFile,
        '--note',
        'from the CLI',
      ]);
      expect(sent.code, sent.stderr).toBe(0);
      const { alertId: id } = JSON.parse(sent.stdout) as { alertId: string };
      await eventually(() => recipient.store.inboxItem(id), 15_000, 'delivered');
      const outDir = join(dir, 'opened');
      const opened = await cctns([
        '--json',
        'agent',
        '--dir',
        recipient.dir,
        'open-record',
        id,
        '--out',
        outDir,
      ]);
      expect(opened.code, opened.stderr).toBe(0);
      expect(JSON.parse(opened.stdout)).toMatchObject({
        sender: sender.identity,
        note: 'from the CLI',
        attachments: [{ name: 'scan.png', bytes: 5000 }],
      });
      expect(readFileSync(join(outDir, 'scan.png')).equals(Buffer.alloc(5_000, 3))).toBe(true);
      const unknown = await cctns([
        'agent',
        '--dir',
        sender.dir,
        'send-record',
        '--to',
        'station/KA/NOWHERE/PS999',
        '--record-file',
        recordFile,
      ]);
      expect(unknown.code).toBe(5);
      expect(unknown.stderr).toContain('RECIPIENT_UNKNOWN');
    });

    it('cannot be read by the brokers that relay it, nor by another station', async () => {
      for (const home of ['MH', 'KA']) {
        const db = readFileSync(join(dir, `broker-${home}`, 'broker.db'));
        expect(db.includes(Buffer.from(SECRET_NAME))).toBe(false);
        expect(db.includes(Buffer.from('tattoo on right forearm'))).toBe(false);
      }
      const item = recipient.store.inboxItem(alertId)!;
      const alert = Alert.decode(Buffer.from(item.jws.split('.')[1]!, 'base64url'));
      const brokerKey = loadPrivateKey(
        readFileSync(join(dir, 'broker-KA', 'key.pem'), 'utf8'),
        undefined,
        'broker key',
      ).privateKey;
      for (const key of [
        brokerKey,
        loadPrivateKey(readFileSync(join(bystander.dir, 'key.pem'), 'utf8'), undefined, 'k')
          .privateKey,
      ])
        await expect(
          openSealed({
            jwe: alert.police!.sealed,
            privateKey: key,
            trust: bystander.trust,
            sender: sender.identity,
            recipient: bystander.identity,
          }),
        ).rejects.toMatchObject({ code: 'SEALED_INVALID' });
      // Re-addressed: the recipient's key opens it, but it was written for someone else.
      await expect(
        openSealed({
          jwe: alert.police!.sealed,
          privateKey: loadPrivateKey(
            readFileSync(join(recipient.dir, 'key.pem'), 'utf8'),
            undefined,
            'k',
          ).privateKey,
          trust: recipient.trust,
          sender: sender.identity,
          recipient: bystander.identity,
        }),
      ).rejects.toThrow(/written for station\/KA\/BENGALURU\/PS001/);
    });

    it('refuses an unknown recipient, a package too large, and a sealed alert to more than one station', async () => {
      await expect(
        sender.sendSealed({ recipient: 'station/KA/NOWHERE/PS999', records: [record] }),
      ).rejects.toMatchObject({ details: expect.stringContaining('RECIPIENT_UNKNOWN') });
      await expect(
        sender.sendSealed({
          recipient: recipient.identity,
          records: [record],
          attachments: [
            { name: 'video.mp4', mediaType: 'video/mp4', data: Buffer.alloc(400_000, 1) },
          ],
        }),
      ).rejects.toMatchObject({ code: 'INPUT_INVALID', message: expect.stringContaining('KiB') });
      const wide = composeAlert({
        sender: sender.identity,
        to: { districts: ['KA/BENGALURU'] },
        event: 'Case record',
        headline: 'sealed to a district',
        now: new Date(),
      });
      wide.police!.sealed = 'a.b.c.d.e';
      await sender.send(wide);
      const refused = await eventually(
        () => {
          const o = sender.store.outboxItem(wide.identifier);
          return o?.status === 'refused' ? o : undefined;
        },
        10_000,
        'the broker refuses it',
      );
      expect(refused).toMatchObject({
        reason: 'FIELD_INVALID',
        message: expect.stringContaining('exactly one station'),
      });
    });
  });
}
