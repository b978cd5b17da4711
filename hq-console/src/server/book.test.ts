import { describe, expect, it } from 'vitest';
import { AlertBook, track } from './book.js';
import type { AlertView, ReceiptView, StationView } from './events.js';

const alert = (id: string, seq: number, extra: Partial<AlertView> = {}): AlertView => ({
  seq,
  id,
  sender: 'hq/national/console',
  msgType: 'alert',
  severity: 'extreme',
  urgency: 'immediate',
  certainty: 'likely',
  categories: ['security'],
  event: 'e',
  headline: id,
  description: '',
  instruction: '',
  note: '',
  sent: null,
  expires: null,
  references: [],
  states: ['MH'],
  to: { national: false, states: [], districts: ['MH/PUNE'], stations: [] },
  channels: [],
  firReference: '',
  caseReference: '',
  modusOperandi: '',
  persons: [],
  vehicles: [],
  ...extra,
});
const station = (identity: string, online = true): StationView => {
  const [, state, district, name] = identity.split('/');
  return {
    identity,
    state: state!,
    district: district!,
    name: name!,
    online,
    lastSeen: null,
    backlog: 0,
    certNotAfter: null,
  };
};
const receipt = (station: string, kind: string, at: string, seq = 0): ReceiptView => ({
  seq,
  alertId: 'a1',
  station,
  kind,
  at,
  note: '',
});

describe('receipt tracker', () => {
  const stations = [
    station('station/MH/PUNE/PS001'),
    station('station/MH/PUNE/PS002', false),
    station('station/MH/MUMBAI/PS003'),
  ];

  it('expects the addressed stations only, counts each station once at its furthest receipt', () => {
    const t = track(
      alert('a1', 1),
      [
        receipt('station/MH/PUNE/PS001', 'delivered', '2026-11-23T10:00:01Z'),
        receipt('station/MH/PUNE/PS001', 'delivered', '2026-11-23T10:00:02Z'), // a duplicate
        receipt('station/MH/PUNE/PS001', 'acknowledged', '2026-11-23T10:00:05Z'), // read implied
      ],
      stations,
    );
    expect(t).toMatchObject({ expected: 2, received: 1, read: 1, acknowledged: 1 });
    expect(t.stations.map((s) => `${s.station}:${s.state}:${s.online}`)).toEqual([
      'station/MH/PUNE/PS002:pending:false',
      'station/MH/PUNE/PS001:acknowledged:true',
    ]);
    expect(t.timeline).toEqual([
      { at: '2026-11-23T10:00:01Z', received: 1, read: 0, acknowledged: 0 },
      { at: '2026-11-23T10:00:05Z', received: 1, read: 1, acknowledged: 1 },
    ]);
  });

  it('counts a receipt from a station the directory does not list (its broker did not answer)', () => {
    const t = track(
      alert('a1', 1, { to: { national: true, states: [], districts: [], stations: [] } }),
      [receipt('station/KA/BENGALURU/PS001', 'read', '2026-11-23T10:00:01Z')],
      stations,
    );
    expect(t).toMatchObject({ expected: 4, received: 1, read: 1, acknowledged: 0 });
  });
});

describe('alert book', () => {
  it('keeps the Update/Cancel chain and lets the oldest alerts go beyond its limit', () => {
    const book = new AlertBook(3);
    book.addAlert(alert('a1', 1));
    book.addAlert(alert('u1', 2, { msgType: 'update', references: ['a1'] }));
    book.addAlert(alert('c1', 3, { msgType: 'cancel', references: ['u1'] }));
    book.addAlert(alert('a1', 1)); // seen again after a reconnect: ignored
    expect(book.chain('a1').map((a) => a.id)).toEqual(['a1', 'u1', 'c1']);
    expect(book.chain('c1').map((a) => a.id)).toEqual(['a1', 'u1', 'c1']);
    book.addAlert(alert('x', 4));
    expect(book.get('a1')).toBeUndefined();
    expect(book.recent(10).map((a) => a.id)).toEqual(['x', 'c1', 'u1']);
    expect(book.detail('nope', [])).toBeUndefined();
  });
});
