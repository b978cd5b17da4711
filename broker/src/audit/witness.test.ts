import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  JwsSigner,
  loadPrivateKey,
  signCheckpoint,
  verifyJws,
  WITNESS_JWS_TYPE,
  checkpointDigest,
  type Pki,
  type WitnessStatement,
} from '@cctns/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  makePki,
  provision,
  tempDir,
  testLogger,
  TEST_PASSPHRASE,
} from '../../../tests/support/network.js';
import { AuditWitness } from './witness.js';

const dir = tempDir('witness');
let pki: Pki;
const signerOf = (d: string) =>
  new JwsSigner(
    loadPrivateKey(readFileSync(join(d, 'key.pem'), 'utf8'), undefined, 'the test key').privateKey,
    readFileSync(join(d, 'cert.pem'), 'utf8'),
  );
let mh: JwsSigner;
let national: JwsSigner;
const hash = (c: string) => c.repeat(64);

beforeAll(async () => {
  ({ pki } = await makePki(dir, ['MH', 'CENTRAL']));
  await provision(pki, pki.unlockCa('MH', TEST_PASSPHRASE), 'broker/MH', join(dir, 'mh'));
  await provision(
    pki,
    pki.unlockCa('CENTRAL', TEST_PASSPHRASE),
    'broker/national',
    join(dir, 'national'),
  );
  mh = signerOf(join(dir, 'mh'));
  national = signerOf(join(dir, 'national'));
}, 60_000);

afterAll(() => pki?.close());

describe('AuditWitness', () => {
  it('countersigns and keeps checkpoints, and refuses one that goes back, forks, or is not signed by its log', async () => {
    const witness = new AuditWitness(join(dir, 'witness.db'), {
      trust: pki.trustStore(),
      signer: () => national,
      logger: testLogger,
      clock: () => new Date(),
    });
    const cp = (seq: number, h: string, log = 'broker/MH') =>
      signCheckpoint(mh, { log, seq, hash: hash(h), at: new Date().toISOString() });
    const first = await cp(5, 'a');
    const answer = await witness.witness(first);
    expect(answer.ok).toBe(true);
    // The countersignature is the national broker's, over this exact checkpoint.
    const v = await verifyJws((answer as { witness: string }).witness, pki.trustStore(), {
      typ: WITNESS_JWS_TYPE,
    });
    expect(v.signer.identityString).toBe('broker/national');
    const st = JSON.parse(Buffer.from(v.payload).toString('utf8')) as WitnessStatement;
    expect(st).toMatchObject({ log: 'broker/MH', seq: 5, digest: checkpointDigest(first) });

    expect((await witness.witness(await cp(10, 'b'))).ok).toBe(true);
    // The same entry again, same hash (e.g. a heartbeat): kept.
    expect((await witness.witness(await cp(10, 'b'))).ok).toBe(true);
    expect(await witness.witness(await cp(7, 'c'))).toMatchObject({
      ok: false,
      code: 'AUDIT_WITNESS_REFUSED',
      message: expect.stringMatching(/went back/),
    });
    expect(await witness.witness(await cp(10, 'd'))).toMatchObject({
      ok: false,
      message: expect.stringMatching(/the log was rewritten/),
    });
    expect(await witness.witness(await cp(11, 'e', 'broker/KA'))).toMatchObject({
      ok: false,
      message: expect.stringMatching(/signed by broker\/MH, not by broker\/KA/),
    });
    expect(await witness.witness('not a jws')).toMatchObject({ ok: false });
    expect(witness.list('broker/MH').map((c) => c.checkpoint)).toHaveLength(3);
    expect(witness.list('broker/KA')).toEqual([]);
    witness.close();
  });
});
