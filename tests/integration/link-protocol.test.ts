import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  credentials,
  makeGenericClientConstructor,
  status,
  type ServiceError,
} from '@grpc/grpc-js';
import type { Broker } from '@cctns/broker';
import { JwsSigner, loadPrivateKey, signAlert, signReceipt, type Pki } from '@cctns/pki';
import { AgentMessage, DirectoryServiceService, ReceiptKind } from '@cctns/proto';
import { composeAlert } from '@cctns/station-agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawLink } from '../support/raw-link.js';
import { eventually, makePki, provision, startBroker, tempDir } from '../support/network.js';

// The station link's own protocol over real mutual TLS: frames that are not messages, messages
// too large, and messages out of order are refused one by one and the link stays up; only a frame
// beyond the transport's limit ends the link, with a status that says why.
const dir = tempDir('link-protocol');
let pki: Pki;
let broker: Broker;
const A = 'station/MH/PUNE/PS001';
const B = 'station/MH/PUNE/PS002';
const holder = (id: string) => join(dir, id.replace(/\//g, '_'));
let signer: JwsSigner;
const links: RawLink[] = [];

function open(id = A): RawLink {
  const link = new RawLink(broker.addresses.grpc, holder(id));
  links.push(link);
  return link;
}

async function signedAlert(): Promise<{ id: string; jws: string }> {
  const alert = composeAlert({
    sender: A,
    to: { stations: [B] },
    event: 'Test',
    headline: 'link protocol test',
    now: new Date(),
  });
  return { id: alert.identifier, jws: (await signAlert(signer, alert)).jws };
}

/** Sends a good alert and expects it accepted: the link is still up and serving. */
async function stillServes(link: RawLink, ref: string): Promise<void> {
  link.send({ ref, body: { $case: 'alert', value: { jws: (await signedAlert()).jws } } });
  expect(await link.answer(ref)).toMatchObject({ accepted: true });
}

/** An AgentMessage's bytes with `ref`, cut short after `keep` bytes. */
function truncated(ref: string, jws: string, keep: number): Buffer {
  const whole = Buffer.from(
    AgentMessage.encode({ ref, body: { $case: 'alert', value: { jws } } }).finish(),
  );
  return whole.subarray(0, keep);
}

beforeAll(async () => {
  const made = await makePki(dir, ['MH']);
  pki = made.pki;
  const mh = made.cas.get('MH')!;
  broker = await startBroker(dir, pki, 'MH');
  await provision(pki, mh, A, holder(A));
  await provision(pki, mh, B, holder(B));
  const key = loadPrivateKey(
    readFileSync(join(holder(A), 'key.pem'), 'utf8'),
    undefined,
    'key',
  ).privateKey;
  signer = new JwsSigner(key, readFileSync(join(holder(A), 'cert.pem'), 'utf8'));
}, 60_000);

afterAll(async () => {
  for (const l of links) l.close();
  await broker?.stop();
  pki?.close();
});

describe('frames that are not messages', () => {
  it('refuses a frame that is not protobuf (MALFORMED) and keeps the link up', async () => {
    const link = open();
    await link.hello();
    link.sendRaw(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02]));
    const refused = await link.next((m) => m.body?.$case === 'refused');
    expect(refused.body?.value).toMatchObject({
      ref: '',
      reason: 'MALFORMED',
      code: status.INVALID_ARGUMENT,
    });
    await stillServes(link, 'after-garbage');
  });

  it('refuses a message cut short with its own ref, so the agent knows which one', async () => {
    const link = open();
    await link.hello();
    const { jws } = await signedAlert();
    link.sendRaw(truncated('cut-1', jws, 40));
    expect(await link.answer('cut-1')).toMatchObject({
      accepted: false,
      reason: 'MALFORMED',
      code: status.INVALID_ARGUMENT,
    });
    await stillServes(link, 'after-cut');
  });

  it('refuses a stream of random frames one by one and loses none of the good ones between', async () => {
    const link = open();
    await link.hello();
    let seed = 7;
    const random = (n: number) =>
      Buffer.from(
        Array.from({ length: n }, () => {
          seed = (seed * 1103515245 + 12345) & 0x7fffffff;
          return seed & 0xff;
        }),
      );
    for (let i = 0; i < 50; i++) {
      link.sendRaw(random(1 + (i % 17) * 13));
      if (i % 10 === 0) await stillServes(link, `between-${i}`);
    }
    await stillServes(link, 'after-random');
  });

  it('refuses a message larger than the limit but within the transport (TOO_LARGE), link up', async () => {
    const link = open();
    await link.hello();
    // 1 MiB: over the broker's 256 KiB message limit, under its 4 MiB transport limit.
    link.sendRaw(
      Buffer.from(
        AgentMessage.encode({
          ref: 'big-1',
          body: { $case: 'alert', value: { jws: 'x'.repeat(1024 * 1024) } },
        }).finish(),
      ),
    );
    expect(await link.answer('big-1')).toMatchObject({
      accepted: false,
      reason: 'TOO_LARGE',
      code: status.RESOURCE_EXHAUSTED,
    });
    link.sendRaw(Buffer.alloc(1024 * 1024, 0xff));
    const refusals = () =>
      link.received.filter((m) => m.body?.$case === 'refused' && m.body.value.ref === '');
    await eventually(() => refusals().length === 1, 10_000, 'refusal of a large garbage frame');
    expect(refusals()[0]!.body?.value).toMatchObject({ reason: 'TOO_LARGE' });
    await stillServes(link, 'after-big');
  });

  it('ends the link on a frame beyond the transport limit with RESOURCE_EXHAUSTED and the reason', async () => {
    for (const l of links.splice(0)) l.close();
    await eventually(() => broker.connectedStations().length === 0, 10_000, 'earlier links gone');
    const link = open();
    await link.hello();
    expect(broker.connectedStations()).toEqual([A]);
    link.sendRaw(Buffer.alloc(5 * 1024 * 1024, 0x0a));
    const s = await link.ended;
    expect(s.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(s.metadata?.get('cctns-reason')[0]?.toString()).toBe('TOO_LARGE');
    // The broker let the session go.
    await eventually(() => broker.connectedStations().length === 0, 10_000, 'session closed');
  });
});

describe("the link's order: hello, then traffic", () => {
  it('refuses an alert before hello (PROTOCOL) and does not store it', async () => {
    const link = open();
    const { id, jws } = await signedAlert();
    link.send({ ref: 'early-alert', body: { $case: 'alert', value: { jws } } });
    expect(await link.answer('early-alert')).toMatchObject({
      accepted: false,
      reason: 'PROTOCOL',
      code: status.FAILED_PRECONDITION,
    });
    expect(await broker.store.get('alert', id)).toBeFalsy();
    // The link is still there: hello opens it, and the same alert is accepted afterwards.
    await link.hello();
    link.send({ ref: 'late-alert', body: { $case: 'alert', value: { jws } } });
    expect(await link.answer('late-alert')).toMatchObject({ accepted: true });
    expect(await broker.store.get('alert', id)).toBeTruthy();
  });

  it('answers an acknowledgement before hello with a PROTOCOL refusal', async () => {
    const link = open();
    link.send({ ref: 'early-ack', body: { $case: 'ack', value: { seq: 5 } } });
    expect(await link.answer('early-ack')).toMatchObject({
      accepted: false,
      reason: 'PROTOCOL',
    });
    await link.hello();
    await stillServes(link, 'after-early-ack');
  });

  it('refuses a receipt before hello (PROTOCOL)', async () => {
    const link = open();
    const receipt = await signReceipt(signer, {
      alertId: 'whatever',
      station: A,
      kind: ReceiptKind.RECEIPT_KIND_DELIVERED,
      at: new Date(),
      note: '',
    });
    link.send({ ref: 'early-receipt', body: { $case: 'receipt', value: receipt } });
    expect(await link.answer('early-receipt')).toMatchObject({
      accepted: false,
      reason: 'PROTOCOL',
    });
  });

  it('refuses an empty message before hello (PROTOCOL), then opens on hello', async () => {
    const link = open();
    link.send({ ref: 'early-empty', body: undefined });
    expect(await link.answer('early-empty')).toMatchObject({
      accepted: false,
      reason: 'PROTOCOL',
    });
    await link.hello();
    await stillServes(link, 'after-early-empty');
  });

  it('refuses a second hello (PROTOCOL) and keeps serving the first', async () => {
    const link = open();
    await link.hello();
    link.send({
      ref: 'hello-2',
      body: { $case: 'hello', value: { cursor: 0, agentVersion: 'x' } },
    });
    expect(await link.answer('hello-2')).toMatchObject({ accepted: false, reason: 'PROTOCOL' });
    expect(link.received.filter((m) => m.body?.$case === 'welcome')).toHaveLength(1);
    await stillServes(link, 'after-hello-2');
  });

  it('accepts an alert sent right behind hello, before the welcome arrives', async () => {
    const link = open();
    const { jws } = await signedAlert();
    link.send({ ref: '', body: { $case: 'hello', value: { cursor: 0, agentVersion: 'test' } } });
    link.send({ ref: 'pipelined', body: { $case: 'alert', value: { jws } } });
    expect(await link.answer('pipelined')).toMatchObject({ accepted: true });
  });

  it('refuses a frame that is not a message before hello (MALFORMED) without opening the link', async () => {
    const link = open();
    link.sendRaw(Buffer.from([0x12, 0xff, 0xff]));
    const refused = await link.next((m) => m.body?.$case === 'refused');
    expect(refused.body?.value).toMatchObject({ reason: 'MALFORMED' });
    expect(link.received.some((m) => m.body?.$case === 'welcome')).toBe(false);
    await link.hello();
    await stillServes(link, 'after-early-garbage');
  });
});

describe('other calls', () => {
  it('refuses a request that does not decode with INVALID_ARGUMENT / MALFORMED, not INTERNAL', async () => {
    const Raw = makeGenericClientConstructor(
      {
        getCertificate: {
          ...DirectoryServiceService.getCertificate,
          requestSerialize: (b: Buffer) => b,
          responseDeserialize: (b: Buffer) => b,
        },
      },
      'cctns.v1.DirectoryService',
    );
    const h = holder(A);
    const client = new Raw(
      broker.addresses.grpc,
      credentials.createSsl(
        readFileSync(join(h, 'root.pem')),
        readFileSync(join(h, 'key.pem')),
        readFileSync(join(h, 'cert.pem')),
        { checkServerIdentity: () => undefined },
      ),
      { 'grpc.ssl_target_name_override': 'broker.cctns' },
    );
    try {
      const err = await new Promise<ServiceError>((resolve, reject) => {
        const call = client as unknown as {
          getCertificate(req: Buffer, cb: (e: ServiceError | null) => void): void;
        };
        call.getCertificate(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), (e) =>
          e ? resolve(e) : reject(new Error('answered')),
        );
      });
      expect(err.code).toBe(status.INVALID_ARGUMENT);
      expect(err.metadata.get('cctns-reason')[0]?.toString()).toBe('MALFORMED');
    } finally {
      client.close();
    }
  });
});
