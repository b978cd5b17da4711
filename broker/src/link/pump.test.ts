import { describe, expect, it } from 'vitest';
import type { LogEntry } from '../store/store.js';
import { LogPump } from './pump.js';

function entry(seq: number, expiresAt: Date | null = null): LogEntry {
  return {
    seq,
    kind: 'alert',
    id: `a${seq}`,
    sender: 'station/MH/PUNE/PS1',
    targets: ['state/MH'],
    expiresAt,
    createdAt: new Date(0),
    ref: null,
    jws: `jws-${seq}`,
  };
}

/** A log in memory, with a count of reads, and a pump over it that records what it emits. */
function setUp(opts: { slowEmit?: () => Promise<void> } = {}) {
  const log: LogEntry[] = [];
  const emitted: number[] = [];
  let reads = 0;
  const errors: unknown[] = [];
  const pump = new LogPump(
    0,
    async (after, limit) => {
      reads++;
      return log.filter((e) => e.seq > after).slice(0, limit);
    },
    async (e) => {
      await opts.slowEmit?.();
      emitted.push(e.seq);
    },
    (err) => errors.push(err),
    (e) => e.expiresAt === null || e.expiresAt > new Date(),
  );
  /** Appends to the log and offers the entry, as the federation and the hub do. */
  const append = (e: LogEntry) => {
    log.push(e);
    pump.offer(e);
  };
  return { log, emitted, pump, append, reads: () => reads, errors };
}

const settle = () => new Promise((r) => setTimeout(r, 5));

describe('LogPump', () => {
  it('reads the log from its cursor when woken, then takes appended entries without reading again', async () => {
    const t = setUp();
    t.log.push(entry(1), entry(2));
    t.pump.wake();
    await settle();
    expect(t.emitted).toEqual([1, 2]);
    const readsWhenCaughtUp = t.reads();
    for (let s = 3; s <= 50; s++) t.append(entry(s));
    await settle();
    expect(t.emitted).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(t.reads()).toBe(readsWhenCaughtUp);
    expect(t.pump.position).toBe(50);
  });

  it('reads the log instead when an entry is offered before it has caught up, and emits nothing twice', async () => {
    const t = setUp();
    t.log.push(entry(1));
    t.pump.wake();
    // Offered while the first read is under way: not caught up yet, so this becomes another read.
    t.append(entry(2));
    t.append(entry(3));
    await settle();
    expect(t.emitted).toEqual([1, 2, 3]);
    expect(t.reads()).toBeGreaterThan(1);
  });

  it('skips an offered entry that has already expired, as the log read would', async () => {
    const t = setUp();
    t.pump.wake();
    await settle();
    t.append(entry(1, new Date(Date.now() - 1000)));
    t.append(entry(2));
    await settle();
    expect(t.emitted).toEqual([2]);
  });

  it('falls back to reading the log when a slow stream has too many entries waiting, losing none', async () => {
    let release: () => void = () => undefined;
    let gate = new Promise<void>((r) => (release = r));
    const t = setUp({ slowEmit: () => gate });
    t.pump.wake();
    await settle();
    const readsBefore = t.reads();
    for (let s = 1; s <= 2000; s++) t.append(entry(s));
    gate = Promise.resolve();
    release();
    await new Promise((r) => setTimeout(r, 50));
    expect(t.emitted).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1));
    expect(t.reads()).toBeGreaterThan(readsBefore);
    expect(t.errors).toEqual([]);
  });

  it('emits nothing after it is stopped', async () => {
    const t = setUp();
    t.pump.wake();
    await settle();
    t.pump.stop();
    t.append(entry(1));
    t.pump.wake();
    await settle();
    expect(t.emitted).toEqual([]);
  });

  it('writes to a caught-up stream at once, and waits in order when the stream asks it to', async () => {
    const log: LogEntry[] = [];
    const emitted: number[] = [];
    let release: () => void = () => undefined;
    const full = new Promise<void>((r) => (release = r));
    const pump = new LogPump(
      0,
      async (after) => log.filter((e) => e.seq > after),
      (e) => {
        emitted.push(e.seq);
        return e.seq === 3 ? full : undefined; // the stream is full after the third
      },
      (err) => {
        throw err;
      },
    );
    pump.wake();
    await settle();
    for (let s = 1; s <= 6; s++) {
      log.push(entry(s));
      pump.offer(entry(s));
    }
    expect(emitted).toEqual([1, 2, 3]);
    release();
    await settle();
    expect(emitted).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
