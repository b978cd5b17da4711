import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Alert,
  CapScope,
  Category,
  Certainty,
  MsgType,
  Severity,
  Status,
  Urgency,
} from '@cctns/proto';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteBrokerStore } from '../store/sqlite.js';
import { parseContacts } from './contacts.js';
import { parseEscalation } from './escalation.js';
import { Escalator } from './escalator.js';

const T0 = new Date('2026-11-23T10:00:00Z');
const min = (m: number) => new Date(T0.getTime() + m * 60_000);
const PS1 = 'station/MH/PUNE/PS001';
const PS2 = 'station/MH/PUNE/PS002';
const KA = 'station/KA/BENGALURU/PS001';

const contacts = parseContacts({
  version: 1,
  contacts: [
    { id: 'sho-1', name: 'SHO PS001', role: 'SHO', scope: PS1, phone: '+919800000001' },
    { id: 'sho-2', name: 'SHO PS002', role: 'SHO', scope: PS2, phone: '+919800000002' },
    { id: 'sho-ka', name: 'SHO Bengaluru', role: 'SHO', scope: KA, phone: '+919800000099' },
    {
      id: 'sp-pune',
      name: 'SP Pune',
      role: 'SP',
      scope: 'district/MH/PUNE',
      phone: '+919800000010',
      email: 'sp.pune@mh.police.example',
    },
    {
      id: 'hq-mh',
      name: 'MH Control Room',
      role: 'STATE-HQ',
      scope: 'state/MH',
      email: 'control@mh.police.example',
    },
  ],
});
const policy = parseEscalation({
  version: 1,
  chains: [
    {
      name: 'heinous',
      match: { severities: ['extreme'] },
      steps: [
        { after: '10m', level: 'station', roles: ['SHO'], channels: ['sms'] },
        { after: '30m', level: 'district', roles: ['SP'], channels: ['sms', 'email'] },
        { after: '60m', level: 'state', roles: ['STATE-HQ'], channels: ['email'] },
      ],
    },
  ],
});

let store: SqliteBrokerStore;
let now: Date;
let escalator: Escalator;
let seq = 0;

/** Puts an alert in the log as the federation would (the escalator reads, it does not verify). */
async function logAlert(
  id: string,
  severity: Severity,
  targets: string[],
  sent = T0,
): Promise<void> {
  const alert = Alert.fromPartial({
    identifier: id,
    sender: 'station/KA/BENGALURU/PS001',
    sent,
    status: Status.STATUS_ACTUAL,
    msgType: MsgType.MSG_TYPE_ALERT,
    scope: CapScope.CAP_SCOPE_RESTRICTED,
    info: [
      {
        categories: [Category.CATEGORY_SECURITY],
        event: 'Murder',
        urgency: Urgency.URGENCY_IMMEDIATE,
        severity,
        certainty: Certainty.CERTAINTY_LIKELY,
        headline: 'हत्या का आरोपी फरार',
      },
    ],
  });
  const jws = `e30.${Buffer.from(Alert.encode(alert).finish()).toString('base64url')}.sig`;
  await store.append({
    seq: ++seq,
    kind: 'alert',
    id,
    sender: alert.sender,
    targets,
    expiresAt: null,
    createdAt: sent,
    ref: null,
    jws,
  });
}

async function acknowledge(alertId: string, station: string): Promise<void> {
  await store.appendReceipt(
    {
      seq: ++seq,
      kind: 'receipt',
      id: `${alertId}/${station}/acknowledged`,
      sender: station,
      targets: [],
      expiresAt: null,
      createdAt: now,
      ref: alertId,
      jws: 'x',
    },
    { alertId, station, kind: 'acknowledged', at: now, note: '' },
  );
}

const queued = async () =>
  (await store.notifications()).map((n) => `${n.contactId}:${n.channel}`).sort();

beforeEach(async () => {
  store = new SqliteBrokerStore(join(mkdtempSync(join(tmpdir(), 'cctns-esc-')), 'broker.db'));
  now = T0;
  for (const s of [PS1, PS2, KA]) await store.touchStation(s, { online: false, at: T0 });
  escalator = new Escalator({
    store,
    policy,
    contacts,
    state: 'MH',
    clock: () => now,
    logger: pino({ level: 'silent' }),
  });
});

afterEach(async () => {
  await escalator.stop();
  await store.close();
});

describe('escalator', () => {
  it('queues the SHO of each addressed station of its state after 10 minutes, once however often it runs', async () => {
    await logAlert('A1', Severity.SEVERITY_EXTREME, [
      'district/MH/PUNE',
      'station/KA/BENGALURU/PS001',
    ]);
    now = min(9);
    expect(await escalator.tick()).toBe(0);
    now = min(10);
    expect(await escalator.tick()).toBe(2);
    expect(await escalator.tick()).toBe(0);
    expect(await queued()).toEqual(['sho-1:sms', 'sho-2:sms']);
    const [n] = await store.notifications();
    expect(n!.text).toContain('हत्या का आरोपी फरार');
  });

  it('reaches the SP only for stations that have not acknowledged, and nobody once all have', async () => {
    await logAlert('A2', Severity.SEVERITY_EXTREME, ['district/MH/PUNE']);
    await acknowledge('A2', PS1);
    now = min(30);
    await escalator.tick();
    expect(await queued()).toEqual(['sho-2:sms', 'sp-pune:email', 'sp-pune:sms']);
    await acknowledge('A2', PS2);
    now = min(61);
    expect(await escalator.tick()).toBe(0);
  });

  it('survives a restart: a new escalator over the same store queues nothing twice', async () => {
    await logAlert('A3', Severity.SEVERITY_EXTREME, ['state/MH']);
    now = min(61);
    const first = await escalator.tick();
    expect(first).toBeGreaterThan(0);
    const again = new Escalator({
      store,
      policy,
      contacts,
      state: 'MH',
      clock: () => now,
      logger: pino({ level: 'silent' }),
    });
    expect(await again.tick()).toBe(0);
    expect(await queued()).toContain('hq-mh:email');
  });

  it('ignores alerts its chains do not cover and alerts too old to escalate', async () => {
    await logAlert('A4', Severity.SEVERITY_MODERATE, ['district/MH/PUNE']);
    await logAlert('A5', Severity.SEVERITY_EXTREME, ['district/MH/PUNE'], min(-600));
    now = min(30);
    expect(await escalator.tick()).toBe(0);
  });
});
