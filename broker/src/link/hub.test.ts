import { describe, expect, it } from 'vitest';
import { Hub, type Wakeable } from './hub.js';

/** A link stand-in that counts its wake-ups. */
class Link implements Wakeable {
  wakes = 0;
  wake(): void {
    this.wakes++;
  }
}

const PUNE_PS1 = ['station/MH/PUNE/PS1', 'district/MH/PUNE', 'state/MH', 'national'];
const PUNE_PS2 = ['station/MH/PUNE/PS2', 'district/MH/PUNE', 'state/MH', 'national'];
const NAGPUR_PS1 = ['station/MH/NAGPUR/PS1', 'district/MH/NAGPUR', 'state/MH', 'national'];
const BLR_PS1 = ['station/KA/BENGALURU/PS1', 'district/KA/BENGALURU', 'state/KA', 'national'];

describe('Hub', () => {
  it('wakes the one subscriber a station-addressed entry names', () => {
    const hub = new Hub();
    const [a, b] = [new Link(), new Link()];
    hub.subscribe(PUNE_PS1, a);
    hub.subscribe(PUNE_PS2, b);
    expect(hub.publish(['station/MH/PUNE/PS2'])).toBe(1);
    expect([a.wakes, b.wakes]).toEqual([0, 1]);
  });

  it('wakes every subscriber of a district and only those', () => {
    const hub = new Hub();
    const [a, b, c] = [new Link(), new Link(), new Link()];
    hub.subscribe(PUNE_PS1, a);
    hub.subscribe(PUNE_PS2, b);
    hub.subscribe(NAGPUR_PS1, c);
    expect(hub.publish(['district/MH/PUNE'])).toBe(2);
    expect([a.wakes, b.wakes, c.wakes]).toEqual([1, 1, 0]);
  });

  it('wakes a subscriber once even when several of its keys are among the targets', () => {
    const hub = new Hub();
    const a = new Link();
    hub.subscribe(PUNE_PS1, a);
    expect(hub.publish(['station/MH/PUNE/PS1', 'district/MH/PUNE', 'state/MH', 'national'])).toBe(
      1,
    );
    expect(a.wakes).toBe(1);
  });

  it('wakes everyone on a national broadcast', () => {
    const hub = new Hub();
    const links = [new Link(), new Link(), new Link(), new Link()];
    [PUNE_PS1, PUNE_PS2, NAGPUR_PS1, BLR_PS1].forEach((keys, i) => hub.subscribe(keys, links[i]!));
    expect(hub.publish(['national'])).toBe(4);
    expect(links.map((l) => l.wakes)).toEqual([1, 1, 1, 1]);
  });

  it('wakes nobody for targets nobody listens on', () => {
    const hub = new Hub();
    const a = new Link();
    hub.subscribe(PUNE_PS1, a);
    expect(hub.publish(['state/KA', 'hq/MH/duty1'])).toBe(0);
    expect(hub.publish([])).toBe(0);
    expect(a.wakes).toBe(0);
  });

  it('wakes again on every publish', () => {
    const hub = new Hub();
    const a = new Link();
    hub.subscribe(PUNE_PS1, a);
    hub.publish(['state/MH']);
    hub.publish(['national']);
    hub.publish(['state/KA']);
    expect(a.wakes).toBe(2);
  });

  it('stops waking a subscriber after it unsubscribes', () => {
    const hub = new Hub();
    const a = new Link();
    const unsubscribe = hub.subscribe(PUNE_PS1, a);
    unsubscribe();
    expect(hub.publish(['state/MH', 'station/MH/PUNE/PS1'])).toBe(0);
    expect(a.wakes).toBe(0);
  });

  it('unsubscribing one link leaves the others on the same keys subscribed', () => {
    const hub = new Hub();
    const [a, b] = [new Link(), new Link()];
    const unsubscribeA = hub.subscribe(PUNE_PS1, a);
    hub.subscribe(PUNE_PS2, b);
    unsubscribeA();
    expect(hub.publish(['district/MH/PUNE'])).toBe(1);
    expect([a.wakes, b.wakes]).toEqual([0, 1]);
  });

  it('unsubscribing twice is harmless', () => {
    const hub = new Hub();
    const [a, b] = [new Link(), new Link()];
    const unsubscribeA = hub.subscribe(PUNE_PS1, a);
    hub.subscribe(PUNE_PS1, b);
    unsubscribeA();
    unsubscribeA();
    expect(hub.publish(['national'])).toBe(1);
    expect(b.wakes).toBe(1);
  });

  it('a link can subscribe again after unsubscribing', () => {
    const hub = new Hub();
    const a = new Link();
    hub.subscribe(PUNE_PS1, a)();
    hub.subscribe(PUNE_PS1, a);
    expect(hub.publish(['state/MH'])).toBe(1);
    expect(a.wakes).toBe(1);
  });

  it('hands the appended entry to subscribers that take entries, and wakes the others', () => {
    const hub = new Hub();
    const waker = new Link();
    const offered: string[] = [];
    const taker = {
      wake: () => offered.push('woken'),
      offer: (e: { id: string }) => offered.push(e.id),
    };
    hub.subscribe(PUNE_PS1, waker);
    hub.subscribe(PUNE_PS2, taker);
    const entry = {
      seq: 7,
      kind: 'alert' as const,
      id: 'alert-7',
      sender: 'station/MH/PUNE/PS9',
      targets: ['district/MH/PUNE'],
      expiresAt: null,
      createdAt: new Date(0),
      ref: null,
      jws: 'x',
    };
    expect(hub.publish(entry.targets, entry)).toBe(2);
    expect(waker.wakes).toBe(1);
    expect(offered).toEqual(['alert-7']);
  });
});
