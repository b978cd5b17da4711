import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { DEFAULT_POLICY, type Broker } from '@cctns/broker';
import { JwsSigner, loadPrivateKey, Pki, signAlert, signReceipt, type IssuingCa } from '@cctns/pki';
import { Alert, ReceiptKind, type Severity } from '@cctns/proto';
import { composeAlert } from '@cctns/station-agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawLink } from '../support/raw-link.js';
import { makePki, provision, startBroker, tempDir, TEST_PASSPHRASE } from '../support/network.js';

// Every refusal the station link makes, over real mutual TLS: a specific reason and gRPC status,
// the link stays up, and what was already accepted is not lost.
const dir = tempDir('refusals');
let pki: Pki;
let mh: IssuingCa;
let broker: Broker;
const A = 'station/MH/PUNE/PS001';
const B = 'station/MH/PUNE/PS002';
const holder = (id: string) => join(dir, id.replace(/\//g, '_'));
let signerA: JwsSigner;
let signerB: JwsSigner;
let link: RawLink;
let refCounter = 0;

function signerOf(id: string): JwsSigner {
  const key = loadPrivateKey(
    readFileSync(join(holder(id), 'key.pem'), 'utf8'),
    undefined,
    'key',
  ).privateKey;
  return new JwsSigner(key, readFileSync(join(holder(id), 'cert.pem'), 'utf8'));
}

function alert(sender: string, extra: Partial<Parameters<typeof composeAlert>[0]> = {}): Alert {
  return composeAlert({
    sender,
    to: { stations: [B] },
    event: 'Test',
    headline: 'test alert',
    now: new Date(),
    ...extra,
  });
}

async function sendAlert(jws: string): Promise<Awaited<ReturnType<RawLink['answer']>>> {
  const ref = `r${++refCounter}`;
  link.send({ ref, body: { $case: 'alert', value: { jws } } });
  return link.answer(ref);
}

beforeAll(async () => {
  const made = await makePki(dir, ['MH', 'KA', 'CENTRAL']);
  pki = made.pki;
  mh = made.cas.get('MH')!;
  // A state policy that keeps stations' broadcasts inside their own state (the default allows
  // inter-state ones): the file is read at start-up and enforced on every alert.
  const policy = join(dir, 'policy.json');
  writeFileSync(
    policy,
    JSON.stringify({
      ...DEFAULT_POLICY,
      rules: {
        ...DEFAULT_POLICY.rules,
        station: { stations: 'any', districts: 'own-state', states: 'own-state', national: false },
      },
    }),
  );
  broker = await startBroker(dir, pki, 'MH', { limits: { ratePerSecond: 5, burst: 40 }, policy });
  await provision(pki, mh, A, holder(A));
  await provision(pki, mh, B, holder(B));
  signerA = signerOf(A);
  signerB = signerOf(B);
  link = new RawLink(broker.addresses.grpc, holder(A));
  await link.hello();
}, 60_000);

afterAll(async () => {
  link?.close();
  await broker?.stop();
  pki?.close();
});

describe('refusals on an open station link', () => {
  it('accepts a good alert (the baseline the refusals are measured against)', async () => {
    const r = await sendAlert((await signAlert(signerA, alert(A))).jws);
    expect(r).toMatchObject({ accepted: true });
  });

  it('refuses a tampered signature with UNAUTHENTICATED / SIGNATURE_INVALID', async () => {
    const { jws } = await signAlert(signerA, alert(A));
    const tampered = jws.slice(0, -4) + (jws.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expect(await sendAlert(tampered)).toMatchObject({
      accepted: false,
      reason: 'SIGNATURE_INVALID',
      code: status.UNAUTHENTICATED,
    });
  });

  it('refuses text that is not a JWS at all', async () => {
    expect(await sendAlert('not a signed message')).toMatchObject({
      accepted: false,
      reason: 'SIGNATURE_INVALID',
    });
  });

  it('refuses an alert signed by another station than the one connected (SIGNER_MISMATCH)', async () => {
    expect(await sendAlert((await signAlert(signerB, alert(B))).jws)).toMatchObject({
      accepted: false,
      reason: 'SIGNER_MISMATCH',
      code: status.PERMISSION_DENIED,
    });
  });

  it('refuses an alert whose sender field names someone other than its signer', async () => {
    expect(await sendAlert((await signAlert(signerA, alert(B))).jws)).toMatchObject({
      accepted: false,
      reason: 'SIGNER_MISMATCH',
    });
  });

  it('refuses a signed payload that is not an alert (MALFORMED)', async () => {
    const jws = await signerA.sign(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]), {
      typ: 'cctns-alert+jws',
    });
    expect(await sendAlert(jws)).toMatchObject({
      accepted: false,
      reason: 'MALFORMED',
      code: status.INVALID_ARGUMENT,
    });
  });

  it('refuses an oversized alert (TOO_LARGE) before verifying it', async () => {
    const big = alert(A, { description: 'x'.repeat(300 * 1024) });
    expect(await sendAlert((await signAlert(signerA, big)).jws)).toMatchObject({
      accepted: false,
      reason: 'TOO_LARGE',
      code: status.RESOURCE_EXHAUSTED,
    });
  });

  it('refuses an unknown enum value instead of passing it on (ENUM_UNKNOWN)', async () => {
    const a = alert(A);
    a.info[0]!.severity = 42 as Severity; // a value this version does not know
    expect(await sendAlert((await signAlert(signerA, a)).jws)).toMatchObject({
      accepted: false,
      reason: 'ENUM_UNKNOWN',
      code: status.INVALID_ARGUMENT,
    });
  });

  it('refuses a missing required field (FIELD_INVALID)', async () => {
    const a = alert(A);
    a.info[0]!.event = '';
    expect(await sendAlert((await signAlert(signerA, a)).jws)).toMatchObject({
      accepted: false,
      reason: 'FIELD_INVALID',
    });
  });

  it('refuses an invalid identity in the addressing (FIELD_INVALID)', async () => {
    expect(
      await sendAlert(
        (await signAlert(signerA, alert(A, { to: { stations: ['station/XX/PUNE/PS1'] } }))).jws,
      ),
    ).toMatchObject({ accepted: false, reason: 'FIELD_INVALID' });
  });

  it.each([
    ['another state', { states: ['KA'] }],
    ['a district of another state', { districts: ['KA/BENGALURU'] }],
    ['the whole country', { national: true }],
  ])('refuses a station addressing %s (SCOPE_FORBIDDEN)', async (_what, to) => {
    expect(await sendAlert((await signAlert(signerA, alert(A, { to }))).jws)).toMatchObject({
      accepted: false,
      reason: 'SCOPE_FORBIDDEN',
      code: status.PERMISSION_DENIED,
    });
  });

  it('refuses an Update of an alert that does not exist (REFERENCE_UNKNOWN)', async () => {
    expect(
      await sendAlert(
        (await signAlert(signerA, alert(A, { msgType: 'update', references: ['no-such-alert'] })))
          .jws,
      ),
    ).toMatchObject({ accepted: false, reason: 'REFERENCE_UNKNOWN' });
  });

  it('refuses an alert that has already expired (EXPIRED)', async () => {
    const past = new Date(Date.now() - 3600_000);
    expect(
      await sendAlert(
        (
          await signAlert(
            signerA,
            alert(A, { now: past, effective: past, expires: new Date(Date.now() - 60_000) }),
          )
        ).jws,
      ),
    ).toMatchObject({ accepted: false, reason: 'EXPIRED' });
  });

  it('refuses a receipt for an alert the station was not addressed by (NOT_RECIPIENT) and for an unknown alert', async () => {
    const other = alert(A, { to: { stations: ['station/MH/NAGPUR/PS009'] } });
    expect(await sendAlert((await signAlert(signerA, other)).jws)).toMatchObject({
      accepted: true,
    });
    const receipt = await signReceipt(signerA, {
      alertId: other.identifier,
      station: A,
      kind: ReceiptKind.RECEIPT_KIND_DELIVERED,
      at: new Date(),
      note: '',
    });
    link.send({ ref: 'rc1', body: { $case: 'receipt', value: receipt } });
    expect(await link.answer('rc1')).toMatchObject({ accepted: false, reason: 'NOT_RECIPIENT' });
    const unknown = await signReceipt(signerA, {
      alertId: 'nope',
      station: A,
      kind: ReceiptKind.RECEIPT_KIND_READ,
      at: new Date(),
      note: '',
    });
    link.send({ ref: 'rc2', body: { $case: 'receipt', value: unknown } });
    expect(await link.answer('rc2')).toMatchObject({
      accepted: false,
      reason: 'ALERT_UNKNOWN',
      code: status.NOT_FOUND,
    });
  });

  it('refuses a second hello and an empty message (PROTOCOL)', async () => {
    link.send({ ref: 'h2', body: { $case: 'hello', value: { cursor: 0, agentVersion: 'x' } } });
    expect(await link.answer('h2')).toMatchObject({ accepted: false, reason: 'PROTOCOL' });
    link.send({ ref: 'e1', body: undefined });
    expect(await link.answer('e1')).toMatchObject({ accepted: false, reason: 'PROTOCOL' });
  });

  it('rate-limits a flood from one station (RATE_LIMITED) and keeps every alert it accepted', async () => {
    const jwss = await Promise.all(
      Array.from({ length: 80 }, () => signAlert(signerA, alert(A)).then((s) => s.jws)),
    );
    const refs = jwss.map((jws, i) => {
      const ref = `flood${i}`;
      link.send({ ref, body: { $case: 'alert', value: { jws } } });
      return ref;
    });
    const answers = await Promise.all(refs.map((r) => link.answer(r)));
    const accepted = answers.filter((a) => a.accepted);
    const limited = answers.filter((a) => a.reason === 'RATE_LIMITED');
    expect(limited.length).toBeGreaterThan(0);
    expect(accepted.length + limited.length).toBe(80);
    for (const a of accepted) expect(a.seq).toBeGreaterThan(0);
    const ids = jwss.map(
      (j) => Alert.decode(Buffer.from(j.split('.')[1]!, 'base64url')).identifier,
    );
    const stored = await Promise.all(ids.map((id) => broker.store.get('alert', id)));
    expect(stored.filter(Boolean).length).toBe(accepted.length);
  });

  it('kept the link up through all of it and counts refusals by reason in /metrics', async () => {
    await new Promise((r) => setTimeout(r, 1500));
    expect(await sendAlert((await signAlert(signerA, alert(A))).jws)).toMatchObject({
      accepted: true,
    });
    const metrics = await (await fetch(`http://${broker.addresses.http}/metrics`)).text();
    expect(metrics).toMatch(/cctns_refusals_total\{reason="SIGNATURE_INVALID"\} [2-9]/);
    expect(metrics).toMatch(/cctns_refusals_total\{reason="RATE_LIMITED"\} \d+/);
    expect(metrics).toMatch(/cctns_connected_stations 1/);
    const health = (await (await fetch(`http://${broker.addresses.http}/healthz`)).json()) as {
      status: string;
    };
    expect(health.status).toBe('ok');
  });
});

describe('refusals at connect', () => {
  async function refusedAt(id: string): Promise<{ code: number; reason: string | undefined }> {
    const raw = new RawLink(broker.addresses.grpc, holder(id));
    raw.send({ ref: '', body: { $case: 'hello', value: { cursor: 0, agentVersion: 'test' } } });
    const s = await raw.ended;
    raw.close();
    expect(raw.received.some((m) => m.body?.$case === 'welcome')).toBe(false);
    return { code: s.code, reason: s.metadata?.get('cctns-reason')[0]?.toString() };
  }

  it('refuses a revoked certificate (UNAUTHENTICATED / CERT_REFUSED)', async () => {
    const id = 'station/MH/PUNE/PS066';
    await provision(pki, mh, id, holder(id));
    const serial = new X509Certificate(readFileSync(join(holder(id), 'cert.pem'))).serialNumber;
    mh.revoke(serial, 'keyCompromise');
    expect(await refusedAt(id)).toEqual({ code: status.UNAUTHENTICATED, reason: 'CERT_REFUSED' });
  });

  it('refuses an expired certificate', async () => {
    const id = 'station/MH/PUNE/PS067';
    const past = Pki.open(pki.dir, { clock: () => new Date(Date.now() - 200 * 86_400_000) });
    try {
      await provision(past, past.unlockCa('MH', TEST_PASSPHRASE), id, holder(id));
    } finally {
      past.close();
    }
    const r = await refusedAt(id);
    // The TLS handshake itself may reject it (UNAVAILABLE) before the broker's own check (UNAUTHENTICATED).
    expect([status.UNAVAILABLE, status.UNAUTHENTICATED]).toContain(r.code);
  });

  it('refuses a station of another state (PERMISSION_DENIED / IDENTITY_FORBIDDEN)', async () => {
    const id = 'station/KA/BENGALURU/PS001';
    await provision(pki, pki.unlockCa('KA', TEST_PASSPHRASE), id, holder(id));
    expect(await refusedAt(id)).toEqual({
      code: status.PERMISSION_DENIED,
      reason: 'IDENTITY_FORBIDDEN',
    });
  });

  it('refuses an agency certificate on the station link (IDENTITY_FORBIDDEN)', async () => {
    const id = 'agency/CBI/DELHI-HQ';
    await provision(pki, pki.unlockCa('CENTRAL', TEST_PASSPHRASE), id, holder(id));
    expect(await refusedAt(id)).toEqual({
      code: status.PERMISSION_DENIED,
      reason: 'IDENTITY_FORBIDDEN',
    });
  });
});
