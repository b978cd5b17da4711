import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { SqliteBrokerStore } from '../store/sqlite.js';
import { Cursors } from './cursors.js';

describe('Cursors', () => {
  it('writes the cursors of many links in one write per interval, the highest of each', async () => {
    const store = new SqliteBrokerStore(':memory:');
    const writes: number[] = [];
    const counting = {
      advanceCursors: (c: ReadonlyArray<{ identity: string; seq: number }>) => {
        writes.push(c.length);
        return store.advanceCursors(c);
      },
    };
    const cursors = new Cursors(counting, pino({ level: 'silent' }), 20);
    for (let i = 1; i <= 300; i++) cursors.note(`station/MH/PUNE/PS${i}`, 5);
    cursors.note('station/MH/PUNE/PS1', 9);
    cursors.note('station/MH/PUNE/PS1', 7);
    await new Promise((r) => setTimeout(r, 60));
    expect(writes).toEqual([300]);
    const byId = new Map((await store.stations()).map((s) => [s.identity, s.cursor]));
    expect(byId.size).toBe(300);
    expect(byId.get('station/MH/PUNE/PS1')).toBe(9);
    expect(byId.get('station/MH/PUNE/PS300')).toBe(5);
    await store.close();
  });

  it('writes at once when flushed, and nothing when nothing moved', async () => {
    const writes: number[] = [];
    const cursors = new Cursors(
      { advanceCursors: async (c) => void writes.push(c.length) },
      pino({ level: 'silent' }),
      60_000,
    );
    await cursors.flush();
    cursors.note('station/MH/PUNE/PS1', 3);
    await cursors.flush();
    expect(writes).toEqual([1]);
  });
});
