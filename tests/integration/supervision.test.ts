import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { credentials, status, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import type { Broker } from '@cctns/broker';
import type { Pki } from '@cctns/pki';
import { SupervisionServiceClient, type Delivery } from '@cctns/proto';
import { composeAlert, type Agent } from '@cctns/station-agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  enrollStation,
  eventually,
  makePki,
  provision,
  runFast,
  startBroker,
  tempDir,
  TEST_PASSPHRASE,
} from '../support/network.js';

// The console's view of a broker: every alert and receipt, from a cursor, then live.
const dir = tempDir('supervise');
let pki: Pki;
let broker: Broker;
let a: Agent;
let b: Agent;

function supervise(
  holder: string,
  cursor = 0,
): {
  got: Delivery[];
  ended: Promise<ServiceError | null>;
  call: ClientReadableStream<Delivery>;
  client: SupervisionServiceClient;
} {
  const f = (n: string) => readFileSync(join(holder, n));
  const client = new SupervisionServiceClient(
    broker.addresses.grpc,
    credentials.createSsl(f('root.pem'), f('key.pem'), f('cert.pem'), {
      checkServerIdentity: () => undefined,
    }),
    { 'grpc.ssl_target_name_override': 'broker.cctns' },
  );
  const call = client.supervise({ cursor });
  const got: Delivery[] = [];
  // Heartbeats (no item) say the stream is alive; the entries are what these tests count.
  call.on('data', (d: Delivery) => {
    if (d.item) got.push(d);
  });
  const ended = new Promise<ServiceError | null>((resolve) => {
    call.on('error', (e: ServiceError) => resolve(e));
    call.on('end', () => resolve(null));
  });
  return { got, ended, call, client };
}

beforeAll(async () => {
  ({ pki } = await makePki(dir, ['MH', 'KA']));
  broker = await startBroker(dir, pki, 'MH');
  const mh = pki.unlockCa('MH', TEST_PASSPHRASE);
  a = await enrollStation(dir, pki, mh, broker, 'station/MH/PUNE/PS001');
  b = await enrollStation(dir, pki, mh, broker, 'station/MH/PUNE/PS002');
  runFast(a);
  runFast(b);
  await provision(pki, mh, 'hq/MH/console', join(dir, 'console'));
  await provision(
    pki,
    pki.unlockCa('KA', TEST_PASSPHRASE),
    'hq/KA/console',
    join(dir, 'ka-console'),
  );
}, 60_000);

afterAll(async () => {
  await a?.close();
  await b?.close();
  await broker?.stop();
  pki?.close();
});

describe('supervision stream', () => {
  it('gives state HQ every alert and receipt of its broker: earlier ones from the cursor, then live', async () => {
    const before = composeAlert({
      sender: a.identity,
      to: { stations: [b.identity] },
      event: 'Robbery',
      headline: 'before the console opened',
      now: new Date(),
    });
    await a.send(before);
    await eventually(() => b.store.inboxItem(before.identifier), 10_000, 'first delivery');
    const s = supervise(join(dir, 'console'));
    const kinds = () => s.got.map((d) => d.item?.$case);
    await eventually(
      () => kinds().includes('alert') && kinds().includes('receipt'),
      10_000,
      'catch-up',
    );
    const live = composeAlert({
      sender: a.identity,
      to: { districts: ['MH/PUNE'] },
      event: 'Robbery',
      headline: 'while the console watches',
      now: new Date(),
    });
    await a.send(live);
    await eventually(
      () => s.got.filter((d) => d.item?.$case === 'alert').length === 2,
      10_000,
      'live alert',
    );
    const seqs = s.got.map((d) => d.seq);
    expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
    // From a cursor: only what came after.
    const resumed = supervise(join(dir, 'console'), seqs[seqs.length - 1]!);
    await new Promise((r) => setTimeout(r, 300));
    expect(resumed.got.every((d) => d.seq > seqs[seqs.length - 1]!)).toBe(true);
    for (const x of [s, resumed]) {
      x.call.cancel();
      x.client.close();
    }
  });

  it("refuses another state's HQ and a station", async () => {
    for (const [holder, reason] of [
      [join(dir, 'ka-console'), 'IDENTITY_FORBIDDEN'],
      [a.dir, 'IDENTITY_FORBIDDEN'],
    ] as const) {
      const s = supervise(holder);
      const err = await s.ended;
      expect(err?.code).toBe(status.PERMISSION_DENIED);
      expect(err?.metadata.get('cctns-reason')[0]?.toString()).toBe(reason);
      s.client.close();
    }
  });
});
