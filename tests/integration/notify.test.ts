import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Broker } from '@cctns/broker';
import type { Pki } from '@cctns/pki';
import { composeAlert, type Agent } from '@cctns/station-agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeTwilio, type FakeTwilio } from '../support/fake-twilio.js';
import {
  enrollStation,
  eventually,
  makePki,
  runFast,
  startBroker,
  tempDir,
} from '../support/network.js';
import { freePort } from '../support/processes.js';
import { startSmtp, type SmtpTestServer } from '../support/smtp.js';

// Escalation by SMS and email through a real broker: the real twilio client against a local
// server speaking Twilio's API (status callbacks signed as Twilio signs them) and nodemailer
// against a real SMTP server. The broker's clock is moved forward by the test.
const dir = tempDir('notify');
let pki: Pki;
let broker: Broker;
let twilioApi: FakeTwilio;
let smtp: SmtpTestServer;
let sender: Agent; // station/MH/PUNE/PS001
let receiver: Agent; // station/MH/PUNE/PS002
let offsetMs = 0;
const clock = () => new Date(Date.now() + offsetMs);
const MIN = 60_000;

beforeAll(async () => {
  twilioApi = await startFakeTwilio();
  smtp = await startSmtp();
  ({ pki } = await makePki(dir, ['MH']));
  writeFileSync(
    join(dir, 'contacts.json'),
    JSON.stringify({
      version: 1,
      contacts: [
        {
          id: 'sho-ps002',
          name: 'SHO Pune PS002',
          role: 'SHO',
          scope: 'station/MH/PUNE/PS002',
          phone: '+919800000002',
        },
        {
          id: 'sp-pune',
          name: 'SP Pune',
          role: 'SP',
          scope: 'district/MH/PUNE',
          email: 'sp.pune@mh.police.example',
        },
      ],
    }),
  );
  writeFileSync(
    join(dir, 'escalation.json'),
    JSON.stringify({
      version: 1,
      chains: [
        {
          name: 'heinous',
          match: { severities: ['extreme'] },
          steps: [
            { after: '10m', level: 'station', roles: ['SHO'], channels: ['sms'] },
            { after: '30m', level: 'district', roles: ['SP'], channels: ['email'] },
          ],
        },
      ],
    }),
  );
  const http = `127.0.0.1:${await freePort()}`;
  broker = await startBroker(
    dir,
    pki,
    'MH',
    {
      httpListen: http,
      notify: {
        contacts: join(dir, 'contacts.json'),
        escalation: join(dir, 'escalation.json'),
        tickSeconds: 3600, // the test runs the passes itself
        sms: {
          accountSid: twilioApi.accountSid,
          from: '+15005550006',
          statusCallbackUrl: `http://${http}/twilio/status`,
          baseUrl: twilioApi.url,
          ratePerSecond: 10,
        },
        email: {
          host: smtp.host,
          port: smtp.port,
          from: 'CCTNS Alerts <alerts@cctns.example.in>',
          ratePerSecond: 10,
        },
      },
    },
    { env: { CCTNS_TWILIO_AUTH_TOKEN: twilioApi.authToken }, clock },
  );
  const mh = pki.unlockCa('MH', 'test network passphrase');
  sender = await enrollStation(dir, pki, mh, broker, 'station/MH/PUNE/PS001');
  receiver = await enrollStation(dir, pki, mh, broker, 'station/MH/PUNE/PS002');
  runFast(sender);
  runFast(receiver);
}, 60_000);

afterAll(async () => {
  await sender?.close();
  await receiver?.close();
  await broker?.stop();
  await twilioApi?.close();
  await smtp?.stop();
  pki?.close();
});

const extreme = (headline: string) =>
  composeAlert({
    sender: sender.identity,
    to: { stations: [receiver.identity] },
    event: 'Murder',
    headline,
    severity: 'extreme',
    now: new Date(),
  });

async function pass(): Promise<void> {
  await broker.notifications!.escalator.tick();
  await broker.notifications!.dispatcher.tick();
}

describe('escalation by SMS and email', () => {
  it("texts the SHO when the station has not acknowledged in 10 minutes, and records Twilio's delivery report", async () => {
    const a = extreme('हत्या का आरोपी फरार — unacknowledged');
    await sender.send(a);
    await eventually(() => receiver.store.inboxItem(a.identifier), 10_000, 'delivery');
    offsetMs = 9 * MIN;
    await pass();
    expect(twilioApi.messages).toHaveLength(0);
    offsetMs = 11 * MIN;
    await pass();
    const sms = twilioApi.messages.filter((m) => m.to === '+919800000002');
    expect(sms).toHaveLength(1);
    expect(sms[0]!.body).toContain('हत्या का आरोपी फरार');
    expect(await twilioApi.deliver(sms[0]!.sid, 'delivered')).toBeLessThan(300);
    await eventually(
      async () =>
        (await broker.store.notifications({ alertId: a.identifier }))[0]?.state === 'delivered',
      5_000,
      'delivery report',
    );
    // A forged callback is refused and changes nothing.
    expect(await twilioApi.deliverForged(sms[0]!.sid, 'failed', 'wrong-token')).toBe(403);
    expect((await broker.store.notifications({ alertId: a.identifier }))[0]?.state).toBe(
      'delivered',
    );
    offsetMs = 31 * MIN;
    await pass();
    const mail = smtp.messages.filter((m) => m.envelope.to.includes('sp.pune@mh.police.example'));
    expect(mail).toHaveLength(1);
    expect(mail[0]!.subject).toContain('हत्या का आरोपी फरार');
    await pass();
    expect(twilioApi.messages.filter((m) => m.to === '+919800000002')).toHaveLength(1);
  });

  it('stops the chain when the station acknowledges', async () => {
    offsetMs = 0;
    const a = extreme('acknowledged in time');
    await sender.send(a);
    await eventually(() => receiver.store.inboxItem(a.identifier), 10_000, 'delivery');
    await receiver.acknowledge(a.identifier, 'team dispatched');
    await eventually(
      async () =>
        (await broker.store.receipts(a.identifier)).some((r) => r.kind === 'acknowledged'),
      10_000,
      'acknowledgement at the broker',
    );
    offsetMs = 61 * MIN;
    await pass();
    expect(await broker.store.notifications({ alertId: a.identifier })).toEqual([]);
  });
});
