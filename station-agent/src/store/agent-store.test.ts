import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentStore, type InboxItem } from './agent-store.js';

const T0 = new Date('2025-03-01T06:30:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

let dir: string;
let file: string;
let store: AgentStore;
const extra: AgentStore[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cctns-agent-store-'));
  file = join(dir, 'agent.db');
  store = new AgentStore(file);
});

afterEach(() => {
  for (const s of extra.splice(0)) s.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Opens another AgentStore on the same file, as the CLI does next to the daemon. */
function second(): AgentStore {
  const s = new AgentStore(file);
  extra.push(s);
  return s;
}

type NewInboxItem = Omit<InboxItem, 'readAt' | 'ackedAt' | 'ackNote'>;

const item = (alertId: string, seq: number, over: Partial<NewInboxItem> = {}): NewInboxItem => ({
  alertId,
  seq,
  sender: 'station/MH/NAGPUR/PS010',
  msgType: 'alert',
  severity: 'severe',
  headline: `headline of ${alertId}`,
  sentAt: at(seq * 1_000),
  receivedAt: at(seq * 1_000 + 500),
  references: [],
  jws: `jws.${alertId}`,
  ...over,
});

const outbound = (ref: string, createdAt: Date, kind: 'alert' | 'receipt' = 'alert') => ({
  ref,
  kind,
  alertId: kind === 'alert' ? `ALERT-${ref}` : 'ALERT-IN-1',
  jws: `jws.${ref}`,
  label: kind === 'alert' ? `headline ${ref}` : 'acknowledged',
  createdAt,
});

describe('AgentStore inbox', () => {
  it('addToInbox stores an alert once and returns false for the duplicate', () => {
    expect(store.addToInbox(item('A-1', 5))).toBe(true);
    expect(store.addToInbox(item('A-1', 9, { headline: 'changed' }))).toBe(false);
    expect(store.inbox()).toHaveLength(1);
    expect(store.inboxItem('A-1')).toMatchObject({ seq: 5, headline: 'headline of A-1' });
  });

  it('inboxItem returns every field, with read and ack unset', () => {
    const i = item('A-1', 5, {
      msgType: 'update',
      headline: 'चोरी की मोटरसाइकिल',
      references: ['A-0'],
    });
    store.addToInbox(i);
    expect(store.inboxItem('A-1')).toEqual({ ...i, readAt: null, ackedAt: null, ackNote: null });
    expect(store.inboxItem('NOPE')).toBeUndefined();
  });

  it('inbox lists newest (highest seq) first, honours limit and unreadOnly', () => {
    store.addToInbox(item('A-1', 1));
    store.addToInbox(item('A-3', 3));
    store.addToInbox(item('A-2', 2));
    expect(store.inbox().map((i) => i.alertId)).toEqual(['A-3', 'A-2', 'A-1']);
    expect(store.inbox({ limit: 2 }).map((i) => i.alertId)).toEqual(['A-3', 'A-2']);
    store.markRead('A-3', at(10_000));
    expect(store.inbox({ unreadOnly: true }).map((i) => i.alertId)).toEqual(['A-2', 'A-1']);
  });

  it('markRead marks once and returns false the second time, keeping the first time', () => {
    store.addToInbox(item('A-1', 1));
    expect(store.markRead('A-1', at(60_000))).toBe(true);
    expect(store.markRead('A-1', at(120_000))).toBe(false);
    expect(store.inboxItem('A-1')?.readAt).toEqual(at(60_000));
  });

  it('markRead of an unknown alert returns false', () => {
    expect(store.markRead('NOPE', T0)).toBe(false);
  });

  it('markAcked acknowledges once with its note, and marks the alert read', () => {
    store.addToInbox(item('A-1', 1));
    expect(store.markAcked('A-1', at(60_000), 'टीम रवाना')).toBe(true);
    expect(store.markAcked('A-1', at(120_000), 'again')).toBe(false);
    expect(store.inboxItem('A-1')).toMatchObject({
      ackedAt: at(60_000),
      ackNote: 'टीम रवाना',
      readAt: at(60_000),
    });
  });

  it('markAcked keeps an earlier read time', () => {
    store.addToInbox(item('A-1', 1));
    store.markRead('A-1', at(30_000));
    store.markAcked('A-1', at(90_000), '');
    expect(store.inboxItem('A-1')).toMatchObject({ readAt: at(30_000), ackedAt: at(90_000) });
  });

  it('followUps finds the updates and cancels that reference an alert, in log order', () => {
    store.addToInbox(item('A-1', 1));
    store.addToInbox(item('U-2', 4, { msgType: 'cancel', references: ['A-1'] }));
    store.addToInbox(item('U-1', 2, { msgType: 'update', references: ['A-0', 'A-1'] }));
    store.addToInbox(item('X-1', 3, { msgType: 'update', references: ['A-9'] }));
    expect(store.followUps('A-1').map((i) => [i.alertId, i.msgType])).toEqual([
      ['U-1', 'update'],
      ['U-2', 'cancel'],
    ]);
    expect(store.followUps('A-9').map((i) => i.alertId)).toEqual(['X-1']);
    expect(store.followUps('U-1')).toEqual([]);
  });

  it('followUps does not match a reference that merely contains the id', () => {
    store.addToInbox(item('U-1', 2, { references: ['A-10'] }));
    expect(store.followUps('A-1')).toEqual([]);
  });
});

describe('AgentStore cursor and state', () => {
  it('the cursor starts at 0', () => {
    expect(store.cursor()).toBe(0);
  });

  it('advanceCursor moves forward and never back', () => {
    store.advanceCursor(10);
    expect(store.cursor()).toBe(10);
    store.advanceCursor(4);
    expect(store.cursor()).toBe(10);
    store.advanceCursor(11);
    expect(store.cursor()).toBe(11);
  });

  it('getState returns undefined for an unset key and setState overwrites', () => {
    expect(store.getState('broker')).toBeUndefined();
    store.setState('broker', '127.0.0.1:7443');
    store.setState('broker', 'mh.police.in:7443');
    expect(store.getState('broker')).toBe('mh.police.in:7443');
  });

  it('transaction commits all its writes together, or none when it throws', () => {
    store.transaction(() => {
      store.addToInbox(item('A-1', 1));
      store.advanceCursor(1);
    });
    expect(() =>
      store.transaction(() => {
        store.addToInbox(item('A-2', 2));
        store.advanceCursor(2);
        throw new Error('crash half-way');
      }),
    ).toThrow('crash half-way');
    expect(store.inbox().map((i) => i.alertId)).toEqual(['A-1']);
    expect(store.cursor()).toBe(1);
  });
});

describe('AgentStore outbox', () => {
  it('enqueue is idempotent on ref', () => {
    store.enqueue(outbound('r1', T0));
    store.enqueue({ ...outbound('r1', at(5_000)), jws: 'other', label: 'other' });
    expect(store.pending()).toHaveLength(1);
    expect(store.pending()[0]).toMatchObject({
      jws: 'jws.r1',
      label: 'headline r1',
      createdAt: T0,
    });
  });

  it('pending lists waiting messages oldest first, and in write order at the same time', () => {
    store.enqueue(outbound('late', at(2_000)));
    store.enqueue(outbound('b-same', at(1_000)));
    store.enqueue(outbound('a-same', at(1_000), 'receipt'));
    store.enqueue(outbound('early', T0));
    expect(store.pending().map((p) => p.ref)).toEqual(['early', 'b-same', 'a-same', 'late']);
    expect(store.pending(2).map((p) => p.ref)).toEqual(['early', 'b-same']);
  });

  it('a pending item carries every field, with no answer yet', () => {
    store.enqueue(outbound('r1', T0, 'receipt'));
    expect(store.pending()).toEqual([
      {
        ref: 'r1',
        kind: 'receipt',
        alertId: 'ALERT-IN-1',
        jws: 'jws.r1',
        label: 'acknowledged',
        createdAt: T0,
        status: 'pending',
        seq: null,
        reason: null,
        message: null,
        answeredAt: null,
      },
    ]);
  });

  it('answer accepted records the seq and time and takes the item off pending', () => {
    store.enqueue(outbound('r1', T0));
    store.answer('r1', { status: 'accepted', seq: 42 }, at(3_000));
    expect(store.pending()).toEqual([]);
    expect(store.outboxItem('ALERT-r1')).toMatchObject({
      status: 'accepted',
      seq: 42,
      reason: null,
      message: null,
      answeredAt: at(3_000),
    });
  });

  it('answer refused records the reason and message and takes the item off pending', () => {
    store.enqueue(outbound('r1', T0));
    store.answer(
      'r1',
      { status: 'refused', reason: 'SCOPE_FORBIDDEN', message: 'may not address state/KA' },
      at(3_000),
    );
    expect(store.pending()).toEqual([]);
    expect(store.outboxItem('ALERT-r1')).toMatchObject({
      status: 'refused',
      seq: null,
      reason: 'SCOPE_FORBIDDEN',
      message: 'may not address state/KA',
      answeredAt: at(3_000),
    });
  });

  it('sent lists only outgoing alerts, newest first', () => {
    store.enqueue(outbound('a1', T0));
    store.enqueue(outbound('rc', at(1_000), 'receipt'));
    store.enqueue(outbound('a2', at(2_000)));
    expect(store.sent().map((s) => s.ref)).toEqual(['a2', 'a1']);
    expect(store.sent(1).map((s) => s.ref)).toEqual(['a2']);
  });

  it('outboxItem finds a sent alert by alert id, never a receipt', () => {
    store.enqueue(outbound('rc', T0, 'receipt'));
    expect(store.outboxItem('ALERT-IN-1')).toBeUndefined();
    store.enqueue(outbound('a1', T0));
    expect(store.outboxItem('ALERT-a1')?.ref).toBe('a1');
  });
});

describe('AgentStore trail', () => {
  it('addTrail records a receipt once per station and kind', () => {
    const t = {
      alertId: 'ALERT-a1',
      station: 'station/MH/NAGPUR/PS010',
      kind: 'read',
      at: T0,
      note: '',
    };
    expect(store.addTrail(t)).toBe(true);
    expect(store.addTrail({ ...t, at: at(5_000), note: 'again' })).toBe(false);
    expect(store.addTrail({ ...t, kind: 'acknowledged', at: at(9_000), note: 'टीम रवाना' })).toBe(
      true,
    );
    expect(store.addTrail({ ...t, station: 'station/KA/BENGALURU/PS101', at: at(1_000) })).toBe(
      true,
    );
    expect(store.trail('ALERT-a1')).toEqual([
      t,
      { ...t, station: 'station/KA/BENGALURU/PS101', at: at(1_000) },
      { ...t, kind: 'acknowledged', at: at(9_000), note: 'टीम रवाना' },
    ]);
    expect(store.trail('ALERT-other')).toEqual([]);
  });
});

describe('AgentStore counts', () => {
  it('counts inbox, unread, pending and refused', () => {
    expect(store.counts()).toEqual({ inbox: 0, unread: 0, pending: 0, refused: 0 });
    store.addToInbox(item('A-1', 1));
    store.addToInbox(item('A-2', 2));
    store.addToInbox(item('A-3', 3));
    store.markRead('A-1', T0);
    store.markAcked('A-2', T0, '');
    store.enqueue(outbound('p1', T0));
    store.enqueue(outbound('p2', T0));
    store.enqueue(outbound('ok', T0));
    store.enqueue(outbound('no', T0));
    store.answer('ok', { status: 'accepted', seq: 1 }, T0);
    store.answer('no', { status: 'refused', reason: 'EXPIRED', message: 'expired' }, T0);
    expect(store.counts()).toEqual({ inbox: 3, unread: 1, pending: 2, refused: 1 });
  });
});

describe('AgentStore on one file from two processes', () => {
  it('uses WAL so the daemon and the CLI can share the file', () => {
    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
  });

  it('two stores on the same file see each other’s writes', () => {
    const daemon = store;
    const cli = second();
    daemon.addToInbox(item('A-1', 7));
    daemon.advanceCursor(7);
    expect(cli.inboxItem('A-1')?.seq).toBe(7);
    expect(cli.cursor()).toBe(7);
    expect(cli.addToInbox(item('A-1', 7))).toBe(false);

    expect(cli.markAcked('A-1', T0, 'on it')).toBe(true);
    cli.enqueue(outbound('ack-1', T0, 'receipt'));
    expect(daemon.inboxItem('A-1')?.ackNote).toBe('on it');
    expect(daemon.markAcked('A-1', at(1), 'twice')).toBe(false);
    expect(daemon.pending().map((p) => p.ref)).toEqual(['ack-1']);

    daemon.answer('ack-1', { status: 'accepted', seq: 8 }, at(2));
    expect(cli.counts()).toEqual({ inbox: 1, unread: 0, pending: 0, refused: 0 });
  });

  it('data survives closing and reopening the file', () => {
    store.addToInbox(item('A-1', 3));
    store.advanceCursor(3);
    store.enqueue(outbound('r1', T0));
    store.setState('enrolled', 'yes');
    store.close();
    store = new AgentStore(file);
    expect(store.inboxItem('A-1')?.seq).toBe(3);
    expect(store.cursor()).toBe(3);
    expect(store.pending().map((p) => p.ref)).toEqual(['r1']);
    expect(store.getState('enrolled')).toBe('yes');
  });
});
