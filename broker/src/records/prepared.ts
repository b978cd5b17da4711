import type { PersonRecord, Record as RecordMsg } from '@cctns/proto';
import { KEY_VERSION, prepareName, type NameForm, type PreparedName } from './names.js';

/**
 * A person's names prepared once, when the record is written, so that a lookup scores thousands
 * of candidates without transliterating and keying each of them again (that was half of the
 * scoring time of a state's search). The store keeps the text `nameData` returns next to the
 * record, opaque to it; `readNameData` turns it back. Stale or missing text (a record written
 * before, or under other key rules) is prepared from the record itself: slower, never wrong.
 */

/** A person's name and aliases, and the father's name, as scoring takes them. */
export interface PersonNames {
  /** Every form of the name and of each alias: a candidate scores as its best form. */
  name: PreparedName;
  /** Absent when the record names no father. */
  father?: PreparedName;
}

/** What is stored: the key rules' version, and each form as [tokens, keys, joined]. */
interface Stored {
  v: number;
  n: Array<[string[], string[], string[]]>;
  f?: Array<[string[], string[], string[]]>;
}

const pack = (p: PreparedName): Stored['n'] => p.forms.map((f) => [f.tokens, f.keys, f.joined]);

/** The forms of the name and of every alias, in that order. */
export function personNames(p: PersonRecord): PersonNames {
  const forms = [p.name, ...p.aliases].flatMap((n) => prepareName(n).forms);
  return {
    name: { forms },
    ...(p.fatherName ? { father: prepareName(p.fatherName) } : {}),
  };
}

/** The text a person record is stored with (none for vehicles and cases). */
export function nameData(r: RecordMsg): string | undefined {
  if (r.kind?.$case !== 'person') return undefined;
  const names = personNames(r.kind.value);
  const stored: Stored = {
    v: KEY_VERSION,
    n: pack(names.name),
    ...(names.father ? { f: pack(names.father) } : {}),
  };
  return JSON.stringify(stored);
}

const isStrings = (x: unknown): x is string[] =>
  Array.isArray(x) && x.every((s) => typeof s === 'string');

function unpack(x: unknown): PreparedName | undefined {
  if (!Array.isArray(x)) return undefined;
  const forms: NameForm[] = [];
  for (const f of x) {
    if (!Array.isArray(f) || f.length !== 3) return undefined;
    const [tokens, keys, joined] = f as unknown[];
    if (!isStrings(tokens) || !isStrings(keys) || !isStrings(joined)) return undefined;
    if (keys.length !== tokens.length) return undefined;
    forms.push({ tokens, keys, joined });
  }
  return { forms };
}

/**
 * The names stored with a record, or undefined when there are none usable: written before
 * names were stored, under another KEY_VERSION, or unreadable.
 */
export function readNameData(text: string | null | undefined): PersonNames | undefined {
  if (!text) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (raw === null || typeof raw !== 'object') return undefined;
  const o = raw as Partial<Stored>;
  if (o.v !== KEY_VERSION) return undefined;
  const name = unpack(o.n);
  if (!name) return undefined;
  if (o.f === undefined) return { name };
  const father = unpack(o.f);
  return father ? { name, father } : undefined;
}
