import { describe, expect, it } from 'vitest';
import { parseContacts } from './contacts.js';
import {
  chainsFor,
  parseEscalation,
  planEscalations,
  upcomingEscalations,
  type EscalationAlert,
} from './escalation.js';

const contacts = parseContacts({
  version: 1,
  contacts: [
    {
      id: 'sho-ps001',
      name: 'SHO Pune PS001',
      role: 'SHO',
      scope: 'station/MH/PUNE/PS001',
      phone: '+919800000001',
      email: 'sho1@mh.police.example',
    },
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

// The example of the issue: Extreme heinous-crime alert not acknowledged in 10 min -> SHO by SMS;
// 30 min -> SP of the district; 60 min -> state HQ.
const policy = parseEscalation({
  version: 1,
  chains: [
    {
      name: 'heinous',
      match: { severities: ['extreme'], categories: ['security'] },
      steps: [
        { after: '10m', level: 'station', roles: ['SHO'], channels: ['sms'] },
        { after: '30m', level: 'district', roles: ['SP'], channels: ['sms', 'email'] },
        { after: '60m', level: 'state', roles: ['STATE-HQ'], channels: ['email'] },
      ],
    },
  ],
});

const sent = new Date('2026-11-23T10:00:00Z');
const alert: EscalationAlert = {
  id: 'A1',
  headline: 'Murder suspect at large',
  severity: 'extreme',
  categories: ['security'],
  sentAt: sent,
};
const stations = ['station/MH/PUNE/PS001', 'station/MH/PUNE/PS002'];
const at = (minutes: number) => new Date(sent.getTime() + minutes * 60_000);
const plan = (minutes: number, acknowledged: string[] = [], a = alert) =>
  planEscalations({
    policy,
    contacts,
    alert: a,
    stations,
    acknowledged: new Set(acknowledged),
    now: at(minutes),
  });

describe('escalation chains', () => {
  it('does nothing before the first step is due', () => expect(plan(9.9)).toEqual([]));

  it('texts the SHO of every station that has not acknowledged after 10 minutes', () => {
    expect(plan(10).map((n) => [n.contactId, n.channel, n.to])).toEqual([
      ['sho-ps001', 'sms', '+919800000001'],
      ['sho-ps002', 'sms', '+919800000002'],
    ]);
  });

  it('stops the chain for a station that acknowledged', () => {
    expect(plan(10, ['station/MH/PUNE/PS001']).map((n) => n.contactId)).toEqual(['sho-ps002']);
  });

  it('reaches the SP after 30 minutes by SMS and email, once for the whole district', () => {
    const sp = plan(30).filter((n) => n.contactId === 'sp-pune');
    expect(sp.map((n) => n.channel).sort()).toEqual(['email', 'sms']);
  });

  it('reaches state HQ after 60 minutes, and nobody once every station acknowledged', () => {
    expect(plan(60).some((n) => n.contactId === 'hq-mh' && n.channel === 'email')).toBe(true);
    expect(plan(60, stations)).toEqual([]);
  });

  it('gives each recipient and channel one key per alert, so a restart or a second run sends nothing twice', () => {
    const first = plan(61);
    const again = plan(61);
    expect(again).toEqual(first);
    expect(new Set(first.map((n) => n.key)).size).toBe(first.length);
    expect(first.every((n) => n.key.startsWith('A1|'))).toBe(true);
  });

  it('dates each notification by its step, not by when the planner ran', () => {
    const sho = plan(61).find((n) => n.contactId === 'sho-ps001')!;
    expect(sho.dueAt).toEqual(at(10));
  });

  it('applies only to matching alerts', () => {
    expect(chainsFor(policy, { ...alert, severity: 'moderate' })).toEqual([]);
    expect(plan(60, [], { ...alert, categories: ['fire'] })).toEqual([]);
  });
});

describe('escalation and contact files', () => {
  it.each([
    [{ version: 2, chains: [] }, 'version'],
    [{ version: 1, chains: [{ name: 'x', steps: [] }] }, 'chains\\[0\\]\\.steps'],
    [
      {
        version: 1,
        chains: [
          {
            name: 'x',
            steps: [{ after: 'soon', level: 'station', roles: ['SHO'], channels: ['sms'] }],
          },
        ],
      },
      'steps\\[0\\]\\.after',
    ],
    [
      {
        version: 1,
        chains: [
          {
            name: 'x',
            steps: [
              { after: '10m', level: 'station', roles: ['SHO'], channels: ['sms'] },
              { after: '5m', level: 'district', roles: ['SP'], channels: ['sms'] },
            ],
          },
        ],
      },
      'steps\\[1\\]\\.after',
    ],
    [
      {
        version: 1,
        chains: [
          {
            name: 'x',
            steps: [{ after: '10m', level: 'village', roles: ['SHO'], channels: ['sms'] }],
          },
        ],
      },
      'level',
    ],
    [
      {
        version: 1,
        chains: [
          {
            name: 'x',
            steps: [{ after: '10m', level: 'station', roles: ['DGP'], channels: ['sms'] }],
          },
        ],
      },
      'roles',
    ],
    [
      {
        version: 1,
        chains: [
          {
            name: 'x',
            steps: [{ after: '10m', level: 'station', roles: ['SHO'], channels: ['pager'] }],
          },
        ],
      },
      'channels',
    ],
  ])('refuses escalation %j naming %s', (doc, field) => {
    expect(() => parseEscalation(doc, 'esc.json')).toThrow(new RegExp(`esc.json: .*${field}`));
  });

  it.each([
    [{ id: 'a', name: 'A', role: 'SHO', scope: 'station/MH/PUNE/PS001', phone: '98000' }, 'phone'],
    [
      { id: 'a', name: 'A', role: 'SHO', scope: 'station/MH/PUNE/PS001', email: 'not-an-address' },
      'email',
    ],
    [
      { id: 'a', name: 'A', role: 'SHO', scope: 'station/MH/PUNE/PS001' },
      'needs a phone or an email',
    ],
    [{ id: 'a', name: 'A', role: 'KING', scope: 'state/MH', phone: '+919800000001' }, 'role'],
    [
      { id: 'a', name: 'A', role: 'SP', scope: 'district/XX/PUNE', phone: '+919800000001' },
      'scope',
    ],
    [{ id: 'a b', name: 'A', role: 'SP', scope: 'district/MH/PUNE', phone: '+919800000001' }, 'id'],
  ])('refuses contact %j naming %s', (contact, field) => {
    expect(() => parseContacts({ version: 1, contacts: [contact] }, 'contacts.json')).toThrow(
      new RegExp(`contacts.json: .*${field}`),
    );
  });

  it('refuses duplicate contact ids', () => {
    const c = { id: 'a', name: 'A', role: 'SP', scope: 'district/MH/PUNE', phone: '+919800000001' };
    expect(() => parseContacts({ version: 1, contacts: [c, c] })).toThrow(/duplicates a/);
  });
});

describe('upcoming escalation steps', () => {
  const upcoming = (minutes: number, acknowledged: string[] = []) =>
    upcomingEscalations({
      policy,
      contacts,
      alert,
      stations,
      acknowledged: new Set(acknowledged),
      now: at(minutes),
    });

  it('names the next step of each silent station, when it falls due and whom it reaches', () => {
    const next = upcoming(12, ['station/MH/PUNE/PS002']);
    expect(next).toHaveLength(1);
    expect(next[0]).toMatchObject({
      station: 'station/MH/PUNE/PS001',
      chain: 'heinous',
      step: 1,
      level: 'district',
      roles: ['SP'],
      recipients: [{ contactId: 'sp-pune', name: 'SP Pune', role: 'SP' }],
    });
    expect(next[0]!.dueAt).toEqual(at(30));
  });

  it('names none once every step has passed', () => expect(upcoming(61)).toEqual([]));
});
