/**
 * Candidate pre-selection from a key index, the same for every store: at most `perKey` records
 * read per key, ranked by how many of the query's keys they carry, the rarest keys first.
 *
 * Why: a person query's keys range from a joined full name carried by a dozen records to a
 * surname's skeleton carried by tens of thousands (Kumar, Singh, Devi). Reading every row of
 * every key and grouping them in SQL made the common keys cost most of a state's search (61,188
 * index rows for "Ramesh Kumar" in UP). With a cap per key, a key of 18,000 records costs what
 * one of 2,000 does. The ranking is what the full read gave: a record the query really names
 * carries several of its keys (Nitin Kumar Bhatt carries nitin, its prefix and skeleton, and
 * bhat) and comes before one that shares a single common key; among equals, the record found
 * under the rarest key comes first. A first cut that stopped reading once the rarest keys had
 * filled the limit lost such records whenever every key of a name was common (112 of the
 * matches of 100 queries on the UP store).
 */

/** At most this many distinct keys of one query are looked at. */
export const MAX_QUERY_KEYS = 200;

/** How a store answers for one key (each store reads its own index). */
export interface KeyIndex {
  /** Ids of at most `n` records that carry `key` and pass the query's filter, in id order. */
  ids(key: string, n: number): Promise<string[]>;
}

/**
 * Ids of the pre-selected records, at most `limit`: those found under the most keys first, then
 * by the rarest key they were found under (fewest ids read for it), then in id order.
 */
export async function preselect(
  keys: readonly string[],
  limit: number,
  perKey: number,
  index: KeyIndex,
): Promise<string[]> {
  const unique = [...new Set(keys)].slice(0, MAX_QUERY_KEYS);
  if (unique.length === 0 || limit < 1) return [];
  const per = Math.max(1, Math.min(Math.floor(perKey), Number.MAX_SAFE_INTEGER));
  const lists = await Promise.all(unique.map((k) => index.ids(k, per)));
  // Rarest first: how many ids a key gave (capped) is how common it is, as far as it matters.
  lists.sort((a, b) => a.length - b.length);
  const found = new Map<string, { hits: number; order: number }>();
  for (const list of lists)
    for (const id of list) {
      const f = found.get(id);
      if (f) f.hits++;
      else found.set(id, { hits: 1, order: found.size });
    }
  return [...found]
    .sort((a, b) => b[1].hits - a[1].hits || a[1].order - b[1].order)
    .slice(0, limit)
    .map(([id]) => id);
}
