import type { TargetKey } from '../alerts/targets.js';

/** Something woken when an entry addressed to one of its keys is appended. */
export interface Wakeable {
  wake(): void;
}

/**
 * Connects new log entries to the open links that should see them. Links subscribe with their
 * keys; publishing an entry wakes exactly the links listening on one of its targets, which then
 * read the log from their own cursor (so ordering and catch-up need no special case).
 */
export class Hub {
  private readonly byKey = new Map<TargetKey, Set<Wakeable>>();
  private readonly everything = new Set<Wakeable>();

  /** Subscribes `sub` to every entry (supervision); returns the unsubscribe function. */
  subscribeAll(sub: Wakeable): () => void {
    this.everything.add(sub);
    return () => void this.everything.delete(sub);
  }

  /** Subscribes `sub` to `keys`; returns the unsubscribe function. */
  subscribe(keys: readonly TargetKey[], sub: Wakeable): () => void {
    for (const k of keys) {
      let set = this.byKey.get(k);
      if (!set) this.byKey.set(k, (set = new Set()));
      set.add(sub);
    }
    return () => {
      for (const k of keys) {
        const set = this.byKey.get(k);
        set?.delete(sub);
        if (set && set.size === 0) this.byKey.delete(k);
      }
    };
  }

  /** Wakes every subscriber listening on any of `targets`, once each. */
  publish(targets: readonly TargetKey[]): number {
    const woken = new Set<Wakeable>(this.everything);
    for (const t of targets) for (const sub of this.byKey.get(t) ?? []) woken.add(sub);
    for (const sub of woken) sub.wake();
    return woken.size;
  }
}
