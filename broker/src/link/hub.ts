import type { TargetKey } from '../routing/targets.js';
import type { LogEntry } from '../store/store.js';

/** Something woken when an entry addressed to one of its keys is appended. */
export interface Wakeable {
  wake(): void;
  /** Takes the appended entry itself (a stream that is caught up sends it without a read). */
  offer?(entry: LogEntry): void;
}

/**
 * Connects new log entries to the open links that should see them. Links subscribe with their
 * keys; publishing an entry reaches exactly the links listening on one of its targets: a link
 * that is caught up takes the entry as it is (no read of the log per link per entry), any other
 * reads the log from its own cursor (so ordering and catch-up need no special case).
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

  /**
   * Reaches every subscriber listening on any of `targets`, once each: offers it `entry` (the
   * entry just appended, in log order) or, without one, wakes it. Returns how many were reached.
   */
  publish(targets: readonly TargetKey[], entry?: LogEntry): number {
    const woken = new Set<Wakeable>(this.everything);
    for (const t of targets) for (const sub of this.byKey.get(t) ?? []) woken.add(sub);
    for (const sub of woken) {
      if (entry && sub.offer) sub.offer(entry);
      else sub.wake();
    }
    return woken.size;
  }
}
