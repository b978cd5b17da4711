import { describe, it, expect } from 'vitest';
import {
  GENESIS_HASH,
  canonicalJson,
  entryHash,
  verifyChain,
  type ChainEntry,
} from './hash-chain.js';

/** Builds a well-formed chain over the given bodies, seq 1..n. */
function buildChain(bodies: unknown[]): ChainEntry[] {
  let prev = GENESIS_HASH;
  return bodies.map((body, i) => {
    const seq = i + 1;
    const hash = entryHash(prev, seq, body);
    const entry: ChainEntry = { seq, prevHash: prev, hash, body };
    prev = hash;
    return entry;
  });
}

function bodies(n: number): Array<{ event: string; n: number }> {
  return Array.from({ length: n }, (_, i) => ({ event: 'issue', n: i + 1 }));
}

function at<T>(list: T[], i: number): T {
  const v = list[i];
  if (v === undefined) throw new Error(`no element ${i}`);
  return v;
}

describe('verifyChain', () => {
  it('accepts a good chain and reports its head', () => {
    const chain = buildChain(bodies(5));
    const report = verifyChain(chain);
    expect(report).toEqual({ ok: true, entries: 5, head: at(chain, 4).hash, problems: [] });
  });

  it('accepts the empty chain with the genesis head', () => {
    expect(verifyChain([])).toEqual({ ok: true, entries: 0, head: GENESIS_HASH, problems: [] });
  });

  it('links the first entry to the genesis hash', () => {
    const chain = buildChain(bodies(2));
    expect(at(chain, 0).prevHash).toBe(GENESIS_HASH);
    expect(GENESIS_HASH).toMatch(/^0{64}$/);
  });

  it('detects an altered body at the right seq', () => {
    const chain = buildChain(bodies(5));
    at(chain, 2).body = { event: 'issue', n: 999 };
    const report = verifyChain(chain);
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([expect.objectContaining({ seq: 3, kind: 'altered' })]);
  });

  it('detects an altered hash field as an altered entry', () => {
    const chain = buildChain(bodies(4));
    at(chain, 1).hash = 'f'.repeat(64);
    const report = verifyChain(chain);
    expect(report.problems).toContainEqual(expect.objectContaining({ seq: 2, kind: 'altered' }));
  });

  it('detects a deleted middle entry', () => {
    const chain = buildChain(bodies(5));
    chain.splice(2, 1);
    const report = verifyChain(chain);
    expect(report.ok).toBe(false);
    expect(report.entries).toBe(4);
    expect(report.problems).toEqual([expect.objectContaining({ seq: 3, kind: 'deleted' })]);
  });

  it('reports a run of deleted entries once, from its first seq', () => {
    const chain = buildChain(bodies(6));
    chain.splice(1, 3);
    const report = verifyChain(chain);
    expect(report.problems).toEqual([expect.objectContaining({ seq: 2, kind: 'deleted' })]);
    expect(at(report.problems, 0).message).toContain('entries 2-4');
  });

  it('detects a deleted first entry', () => {
    const chain = buildChain(bodies(3));
    chain.shift();
    expect(verifyChain(chain).problems).toEqual([
      expect.objectContaining({ seq: 1, kind: 'deleted' }),
    ]);
  });

  it('detects two swapped entries', () => {
    const chain = buildChain(bodies(5));
    const [a, b] = [at(chain, 2), at(chain, 3)];
    chain[2] = b;
    chain[3] = a;
    const report = verifyChain(chain);
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => p.kind)).toContain('inserted');
  });

  it('detects an inserted entry with a valid hash of its own', () => {
    const chain = buildChain(bodies(4));
    const forgedBody = { event: 'issue', n: 'forged' };
    const forged: ChainEntry = {
      seq: 3,
      prevHash: at(chain, 1).hash,
      hash: entryHash(at(chain, 1).hash, 3, forgedBody),
      body: forgedBody,
    };
    chain.splice(2, 0, forged);
    const report = verifyChain(chain);
    expect(report.ok).toBe(false);
    expect(report.problems).toContainEqual(expect.objectContaining({ seq: 3, kind: 'inserted' }));
    expect(report.problems.some((p) => p.kind === 'altered')).toBe(false);
  });

  it('detects an entry replaced by a re-hashed forgery (the next entry no longer links)', () => {
    const chain = buildChain(bodies(4));
    const forgedBody = { event: 'issue', n: 'forged' };
    chain[2] = {
      seq: 3,
      prevHash: at(chain, 1).hash,
      hash: entryHash(at(chain, 1).hash, 3, forgedBody),
      body: forgedBody,
    };
    const report = verifyChain(chain);
    expect(report.problems).toEqual([expect.objectContaining({ seq: 4, kind: 'relinked' })]);
  });

  it('caps the number of problems reported', () => {
    const chain = buildChain(bodies(10));
    for (const e of chain) e.body = { tampered: true };
    const report = verifyChain(chain, 3);
    expect(report.ok).toBe(false);
    expect(report.problems).toHaveLength(3);
    expect(report.entries).toBe(10);
  });
});

describe('canonicalJson and entryHash', () => {
  it('sorts keys at every level', () => {
    expect(canonicalJson({ b: 1, a: { d: 2, c: [3, { z: 1, y: 2 }] } })).toBe(
      '{"a":{"c":[3,{"y":2,"z":1}],"d":2},"b":1}',
    );
  });

  it('gives the same text and hash whatever the key order', () => {
    const x = { event: 'issue', serial: 'ab', detail: { jti: 'j', notAfter: 't' } };
    const y = { detail: { notAfter: 't', jti: 'j' }, serial: 'ab', event: 'issue' };
    expect(canonicalJson(x)).toBe(canonicalJson(y));
    expect(entryHash(GENESIS_HASH, 1, x)).toBe(entryHash(GENESIS_HASH, 1, y));
  });

  it('keeps array order significant', () => {
    expect(entryHash(GENESIS_HASH, 1, [1, 2])).not.toBe(entryHash(GENESIS_HASH, 1, [2, 1]));
  });

  it('drops undefined members like JSON does', () => {
    expect(canonicalJson({ a: 1, b: undefined })).toBe('{"a":1}');
  });

  it('binds the hash to the sequence number and previous hash', () => {
    const body = { event: 'issue' };
    const h = entryHash(GENESIS_HASH, 1, body);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(entryHash(GENESIS_HASH, 2, body)).not.toBe(h);
    expect(entryHash('1'.repeat(64), 1, body)).not.toBe(h);
  });

  it('keeps Unicode text exact', () => {
    expect(canonicalJson({ name: 'राम कुमार' })).toBe('{"name":"राम कुमार"}');
  });
});
