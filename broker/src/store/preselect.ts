/**
 * Candidate pre-selection from a key index, the same for every store: the rarest keys first, at
 * most `perKey` records read per key, until `limit` candidates are in hand.
 *
 * Why: a person query's keys range from a joined full name carried by a dozen records to a
 * surname's skeleton carried by tens of thousands (Kumar, Singh, Devi). Reading every row of
 * every key and ranking by keys shared made the common keys cost most of a state's search
 * (61,188 index rows for "Ramesh Kumar" in UP). The rare keys are the ones that say who this is:
 * a record the query really names carries them, so it comes in on the first keys read, and a
 * common key adds at most `perKey` records however common it is.
 */

/** At most this many distinct keys of one query are looked at. */
export const MAX_QUERY_KEYS = 200;

/** How a store answers for one key (each store reads its own index). */
export interface KeyIndex {
  /** How many records carry `key`, counted no further than `atMost` (an index range, bounded). */
  count(key: string, atMost: number): Promise<number>;
  /** Ids of at most `n` records that carry `key` and pass the query's filter, in id order. */
  ids(key: string, n: number): Promise<string[]>;
}

/**
 * Ids of the pre-selected records, those found under the most keys first, then in the order
 * found (rarest key first, then by id). Every key is counted (bounded), then read from the
 * rarest up until `limit` ids are in hand; a key no record carries costs one count.
 */
export async function preselect(
  keys: readonly string[],
  limit: number,
  perKey: number,
  index: KeyIndex,
): Promise<string[]> {
  const unique = [...new Set(keys)].slice(0, MAX_QUERY_KEYS);
  if (unique.length === 0 || limit < 1) return [];
  const per = Math.max(1, Math.min(perKey, limit));
  // Counting a little past the limit still tells a key of 2,500 records from one of 50,000.
  const atMost = limit + 1;
  const counts = await Promise.all(unique.map((k) => index.count(k, atMost)));
  const order = unique
    .map((key, i) => ({ key, n: counts[i] ?? 0 }))
    .filter((k) => k.n > 0)
    .sort((a, b) => a.n - b.n);
  const hits = new Map<string, number>();
  for (const { key } of order) {
    if (hits.size >= limit) break;
    for (const id of await index.ids(key, per)) {
      const h = hits.get(id);
      if (h !== undefined) hits.set(id, h + 1);
      else if (hits.size < limit) hits.set(id, 1);
    }
  }
  // Map iteration is insertion order, which the stable sort keeps among equal counts.
  return [...hits]
    .sort((a, b) => b[1] - a[1])
    .map(([id]) => id)
    .slice(0, limit);
}
