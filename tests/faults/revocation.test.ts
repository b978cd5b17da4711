import { InProcessStream, type Broker } from '@cctns/broker';
import type { IssuingCa, Pki } from '@cctns/pki';
import { composeAlert, type Agent } from '@cctns/station-agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawLink } from '../support/raw-link.js';
import {
  enrollStation,
  eventually,
  makePki,
  runFast,
  startBroker,
  tempDir,
} from '../support/network.js';
import { printFigures, secondsSince } from './figures.js';

// A station's certificate revoked while its link is open: how long until its open link, and any
// new link, are refused at its own broker and at another state's broker; renewal is refused at once.
const dir = tempDir('fault-revocation');
let pki: Pki;
let mhCa: IssuingCa;
let mhBroker: Broker;
let kaBroker: Broker;
let revoked: Agent;
let other: Agent;
const links: RawLink[] = [];

/** What a new link of the station gets from a broker: 'open' (welcomed) or the refusal's reason. */
async function tryLink(address: string, holderDir: string): Promise<string> {
  const link = new RawLink(address, holderDir);
  links.push(link);
  link.send({ ref: '', body: { $case: 'hello', value: { cursor: 0, agentVersion: 'test' } } });
  const outcome = await Promise.race([
    link.ended.then((s) => String(s.metadata?.get('cctns-reason')[0] ?? `status ${s.code}`)),
    link.next((m) => m.body?.$case === 'welcome').then(() => 'open'),
  ]);
  link.close();
  return outcome;
}

beforeAll(async () => {
  ({ pki } = await makePki(dir, ['MH', 'KA']));
  mhCa = pki.unlockCa('MH', 'test network passphrase');
  const stream = new InProcessStream();
  mhBroker = await startBroker(dir, pki, 'MH', {}, { backbone: stream.connect() });
  kaBroker = await startBroker(dir, pki, 'KA', {}, { backbone: stream.connect() });
  revoked = await enrollStation(dir, pki, mhCa, mhBroker, 'station/MH/PUNE/PS001');
  other = await enrollStation(dir, pki, mhCa, mhBroker, 'station/MH/PUNE/PS002');
  runFast(other);
}, 120_000);

afterAll(async () => {
  for (const l of links) l.close();
  await revoked?.close();
  await other?.close();
  await mhBroker?.stop();
  await kaBroker?.stop();
  pki?.close();
});

describe('a station certificate revoked while linked', () => {
  it('loses its open link and new links at both brokers, and renewal at once', async () => {
    // Before: the link is open at its own broker; another state's broker refuses it as a station
    // of another state, not for its certificate.
    const open = new RawLink(mhBroker.addresses.grpc, revoked.dir);
    links.push(open);
    await open.hello();
    expect(mhBroker.connectedStations()).toContain(revoked.identity);
    expect(await tryLink(kaBroker.addresses.grpc, revoked.dir)).toBe('IDENTITY_FORBIDDEN');

    const start = performance.now();
    mhCa.revoke(revoked.certificate().serialNumber, 'keyCompromise');

    const renewal = revoked.renew().then(
      () => 'renewed',
      (err: { details?: string; message: string }) => err.details ?? err.message,
    );
    const openLink = open.ended.then((s) => ({
      reason: String(s.metadata?.get('cctns-reason')[0]),
      seconds: secondsSince(start),
    }));
    const newLinkAt = async (broker: Broker) => {
      const reason = await eventually(
        async () => {
          const r = await tryLink(broker.addresses.grpc, revoked.dir);
          return r === 'CERT_REFUSED' ? r : undefined;
        },
        60_000,
        `a new link refused at ${broker.config.identity}`,
      );
      return { reason, seconds: secondsSince(start) };
    };
    const [own, remote, renewed] = await Promise.all([
      newLinkAt(mhBroker),
      newLinkAt(kaBroker),
      renewal.then((r) => ({ r, seconds: secondsSince(start) })),
    ]);
    const closed = await openLink;

    expect(closed.reason).toBe('CERT_REFUSED');
    expect(own.reason).toBe('CERT_REFUSED');
    expect(remote.reason).toBe('CERT_REFUSED');
    expect(renewed.r).toMatch(/CERT_REFUSED|revoked/);
    expect(mhBroker.connectedStations()).not.toContain(revoked.identity);
    // The other station of the state keeps its link and its traffic.
    const alert = composeAlert({
      sender: other.identity,
      to: { stations: ['station/MH/PUNE/PS003'] },
      event: 'Test',
      headline: 'after the revocation',
      now: new Date(),
    });
    await other.send(alert);
    await eventually(
      () => other.store.outboxItem(alert.identifier)?.status === 'accepted',
      10_000,
      'the other station still sends',
    );

    printFigures('revoked certificate', {
      'open link refused at its own broker after (s)': closed.seconds,
      'new link refused at its own broker after (s)': own.seconds,
      "new link refused at another state's broker after (s)": remote.seconds,
      'renewal refused after (s)': renewed.seconds,
    });
  });
});
