import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Alert, MsgType } from '@cctns/proto';
import {
  JwsSigner,
  Pki,
  approvalDigest,
  approvalOf,
  createCsr,
  generateRsaKeyPair,
  signApproval,
  verifyApproval,
  type IssuingCa,
} from '../index.js';

const TD = 'cctns.local';
const PASS = 'passphrase-for-approval-tests';

let dir: string;
let pki: Pki;
let central: IssuingCa;
const signers: Record<string, JwsSigner> = {};
const serials: Record<string, string> = {};

const draft = (identifier: string, headline = 'National alert'): Alert =>
  Alert.fromPartial({
    identifier,
    sender: 'hq/national/duty1',
    sent: new Date('2026-01-10T10:00:00Z'),
    msgType: MsgType.MSG_TYPE_ALERT,
    info: [{ event: 'Heinous crime', headline }],
    to: { national: true },
  });

const approve = async (alert: Alert, by: string, of: Alert = alert): Promise<Alert> => ({
  ...alert,
  approval: await signApproval(signers[by]!, { alert: of, approver: by, at: new Date() }),
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cctns-approval-'));
  pki = await Pki.initRoot(dir, { trustDomain: TD, passphrase: PASS, keyBits: 2048 });
  await pki.initCa('CENTRAL', { rootPassphrase: PASS, passphrase: PASS, keyBits: 2048 });
  await pki.initCa('MH', { rootPassphrase: PASS, passphrase: PASS, keyBits: 2048 });
  central = pki.unlockCa('CENTRAL', PASS);
  const mh = pki.unlockCa('MH', PASS);
  for (const id of ['hq/national/duty1', 'hq/national/duty2', 'station/MH/PUNE/PS001']) {
    const ca = id.startsWith('station/') ? mh : central;
    const keys = await generateRsaKeyPair(2048);
    const { token } = await ca.createToken(id);
    const issued = await ca.issue({ csrPem: createCsr(id, TD, keys), token });
    signers[id] = new JwsSigner(keys.privateKey, issued.chainPem);
    serials[id] = issued.serial;
  }
});

afterAll(() => {
  pki?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('approvals', () => {
  it('digests the alert without its approval, so the approval does not change what it names', async () => {
    const a = draft('a-1');
    const approved = await approve(a, 'hq/national/duty2');
    expect(approvalDigest(approved)).toBe(approvalDigest(a));
    expect(approvalDigest({ ...a, note: 'changed' })).not.toBe(approvalDigest(a));
  });

  it('verifies a second officer’s approval of this exact alert and names the approver', async () => {
    const approved = await approve(draft('a-2'), 'hq/national/duty2');
    const v = await verifyApproval(approved, pki.trustStore());
    expect(v.signer.identityString).toBe('hq/national/duty2');
    expect(approvalOf(approved)).toMatchObject({ alertId: 'a-2', composer: 'hq/national/duty1' });
  });

  it('refuses an approval by the sender itself (APPROVER_SAME_AS_SENDER)', async () => {
    const approved = await approve(draft('a-3'), 'hq/national/duty1');
    await expect(verifyApproval(approved, pki.trustStore())).rejects.toMatchObject({
      code: 'APPROVER_SAME_AS_SENDER',
    });
  });

  it('refuses an approval of another alert, or of the same alert before a change (APPROVAL_INVALID)', async () => {
    const other = await approve(draft('a-4'), 'hq/national/duty2', draft('a-5'));
    await expect(verifyApproval(other, pki.trustStore())).rejects.toMatchObject({
      code: 'APPROVAL_INVALID',
    });
    const changed = await approve(draft('a-6'), 'hq/national/duty2');
    changed.info[0]!.headline = 'edited after approval';
    await expect(verifyApproval(changed, pki.trustStore())).rejects.toMatchObject({
      code: 'APPROVAL_INVALID',
    });
  });

  it('refuses an approval signed by a station, or missing (APPROVAL_INVALID)', async () => {
    const byStation = await approve(draft('a-7'), 'station/MH/PUNE/PS001');
    await expect(verifyApproval(byStation, pki.trustStore())).rejects.toMatchObject({
      code: 'APPROVAL_INVALID',
    });
    await expect(verifyApproval(draft('a-8'), pki.trustStore())).rejects.toMatchObject({
      code: 'APPROVAL_INVALID',
    });
  });

  it('refuses an approval by a revoked officer (APPROVAL_INVALID)', async () => {
    const approved = await approve(draft('a-9'), 'hq/national/duty2');
    central.revoke(serials['hq/national/duty2']!, 'keyCompromise');
    await expect(verifyApproval(approved, pki.trustStore())).rejects.toMatchObject({
      code: 'APPROVAL_INVALID',
      message: expect.stringMatching(/revoked/),
    });
  });
});
