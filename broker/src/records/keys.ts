import type { Record as RecordMsg } from '@cctns/proto';
import { searchKeys } from './names.js';

/** Vehicle numbers as indexed and compared: upper case, letters and digits only. */
export function normalizeVehicleNumber(s: string): string {
  return s.toUpperCase().replace(/[^A-Z0-9]/g, '');
}

/**
 * A FIR number as indexed: `FIR No. 0123 / 2026` and `123/2026` are the same FIR. Digits groups
 * lose leading zeros; letters are kept upper case; everything else separates.
 */
export function normalizeFir(s: string): string {
  return (
    s
      .toUpperCase()
      .replace(/^\s*(FIR|CR|CASE)\s*(NO\.?|NUMBER)?\s*/, '')
      .match(/[A-Z]+|\d+/g) ?? []
  )
    .map((p) => (/^\d+$/.test(p) ? String(Number(p)) : p))
    .join('/');
}

const STOPWORDS = new Set([
  'the',
  'and',
  'with',
  'from',
  'into',
  'for',
  'was',
  'were',
  'who',
  'his',
  'her',
  'their',
  'then',
  'that',
  'this',
  'them',
  'they',
  'on',
  'in',
  'at',
  'of',
  'to',
  'by',
  'a',
  'an',
]);

/** Keywords of a modus operandi text: lower case, three letters or more, no stop words, crude stem. */
export function moWords(text: string): string[] {
  const out = new Set<string>();
  for (const w of text
    .toLowerCase()
    .normalize('NFKD')
    .match(/\p{L}[\p{L}\p{M}]{2,}/gu) ?? []) {
    if (STOPWORDS.has(w)) continue;
    out.add(w.replace(/(ing|ed|es|s)$/, '') || w);
  }
  return [...out].slice(0, 50);
}

/** The search keys a record is indexed by (a prefix per field keeps fields apart). */
export function recordKeys(r: RecordMsg): string[] {
  const k = r.kind;
  if (!k) return [];
  switch (k.$case) {
    case 'person':
      return [
        ...new Set(
          [k.value.name, ...k.value.aliases].flatMap((n) => searchKeys(n).map((x) => `n:${x}`)),
        ),
      ];
    case 'vehicle':
      return [
        ['reg', k.value.registration],
        ['chassis', k.value.chassis],
        ['engine', k.value.engine],
      ]
        .filter(([, v]) => v)
        .map(([f, v]) => `${f}:${normalizeVehicleNumber(v!)}`);
    case 'caseRecord':
      return [
        ...(k.value.firNumber ? [`fir:${normalizeFir(k.value.firNumber)}`] : []),
        ...moWords(k.value.modusOperandi).map((w) => `mo:${w}`),
      ];
  }
}
