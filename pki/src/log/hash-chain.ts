import { createHash } from 'node:crypto';

/** The `prevHash` of the first entry of every chain. */
export const GENESIS_HASH = '0'.repeat(64);

/** JSON with object keys sorted at every level, so equal values always hash the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/** The hash of an entry: SHA-256 over the previous hash, the sequence number and the canonical body. */
export function entryHash(prevHash: string, seq: number, body: unknown): string {
  return createHash('sha256')
    .update(`${prevHash}\n${seq}\n${canonicalJson(body)}`)
    .digest('hex');
}

/** One stored entry of a hash-chained log. */
export interface ChainEntry {
  seq: number;
  prevHash: string;
  hash: string;
  body: unknown;
}

/** Something wrong found in a chain, located by sequence number. */
export interface ChainProblem {
  seq: number;
  kind: 'altered' | 'deleted' | 'inserted' | 'relinked';
  message: string;
}

/** The outcome of checking a chain. */
export interface ChainReport {
  ok: boolean;
  entries: number;
  /** Hash of the last entry, to compare with a published checkpoint. */
  head: string;
  problems: ChainProblem[];
}

/**
 * Walks a chain in stored order and reports every entry that was edited (its hash no longer
 * matches its content), deleted (a gap in the sequence) or inserted / moved (a sequence number
 * out of order, or a link to the wrong predecessor). Entries must be given in ascending storage order.
 */
export function verifyChain(entries: Iterable<ChainEntry>, maxProblems = 100): ChainReport {
  const problems: ChainProblem[] = [];
  let prev: ChainEntry | undefined;
  let count = 0;
  const report = (p: ChainProblem) => {
    if (problems.length < maxProblems) problems.push(p);
  };
  for (const e of entries) {
    count++;
    const expectedSeq = prev ? prev.seq + 1 : 1;
    const expectedPrev = prev ? prev.hash : GENESIS_HASH;
    if (entryHash(e.prevHash, e.seq, e.body) !== e.hash) {
      report({
        seq: e.seq,
        kind: 'altered',
        message: `entry ${e.seq} was altered: its content no longer matches its hash`,
      });
    }
    if (e.seq > expectedSeq) {
      const span =
        e.seq - expectedSeq === 1 ? `entry ${expectedSeq}` : `entries ${expectedSeq}-${e.seq - 1}`;
      report({
        seq: expectedSeq,
        kind: 'deleted',
        message: `${span} deleted: the sequence jumps from ${expectedSeq - 1} to ${e.seq}`,
      });
    } else if (e.seq < expectedSeq) {
      report({
        seq: e.seq,
        kind: 'inserted',
        message: `entry ${e.seq} is out of order after entry ${prev?.seq ?? 0} (inserted or moved)`,
      });
    } else if (e.prevHash !== expectedPrev) {
      report({
        seq: e.seq,
        kind: 'relinked',
        message: `entry ${e.seq} does not link to the entry before it (an entry was inserted or replaced)`,
      });
    }
    prev = e;
  }
  return {
    ok: problems.length === 0,
    entries: count,
    head: prev ? prev.hash : GENESIS_HASH,
    problems,
  };
}
