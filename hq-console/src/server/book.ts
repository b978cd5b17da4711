import type {
  AlertDetail,
  AlertProgress,
  AlertView,
  ReceiptView,
  StationView,
  TrackerView,
} from './events.js';

/** How many alerts the console keeps in memory (with their receipts); older ones are let go. */
export const BOOK_LIMIT = 20_000;

const RANK = { pending: 0, delivered: 1, read: 2, acknowledged: 3 } as const;
type Progress = keyof typeof RANK;

/** True when the alert addresses `s` (by station, district, state or nationally). */
export function addresses(alert: AlertView, s: StationView): boolean {
  const to = alert.to;
  return (
    to.national ||
    to.states.includes(s.state) ||
    to.districts.includes(`${s.state}/${s.district}`) ||
    to.stations.includes(s.identity)
  );
}

/**
 * The alerts and receipts the console has seen, in log order: the feed, each alert's
 * Update/Cancel chain, and its receipt tracker against the station directory.
 */
export class AlertBook {
  private readonly alerts = new Map<string, AlertView>();
  private readonly receipts = new Map<string, ReceiptView[]>();
  /** Alert id → ids of alerts that reference it (Updates, Cancels). */
  private readonly referencedBy = new Map<string, string[]>();

  constructor(private readonly limit = BOOK_LIMIT) {}

  addAlert(a: AlertView): void {
    if (this.alerts.has(a.id)) return;
    this.alerts.set(a.id, a);
    for (const r of a.references) {
      const list = this.referencedBy.get(r) ?? [];
      list.push(a.id);
      this.referencedBy.set(r, list);
    }
    while (this.alerts.size > this.limit) {
      const oldest = this.alerts.keys().next().value as string;
      this.alerts.delete(oldest);
      this.receipts.delete(oldest);
      this.referencedBy.delete(oldest);
    }
  }

  addReceipt(r: ReceiptView): void {
    const list = this.receipts.get(r.alertId) ?? [];
    list.push(r);
    this.receipts.set(r.alertId, list);
  }

  /** The latest alerts, newest first. */
  recent(limit: number): AlertView[] {
    return [...this.alerts.values()].slice(-limit).reverse();
  }

  get(id: string): AlertView | undefined {
    return this.alerts.get(id);
  }

  /** The alert's Update/Cancel chain, oldest first: its ancestors, itself and its descendants. */
  chain(id: string): AlertView[] {
    const seen = new Set<string>();
    const walk = (x: string) => {
      if (seen.has(x) || !this.alerts.has(x)) return;
      seen.add(x);
      for (const r of this.alerts.get(x)!.references) walk(r);
      for (const c of this.referencedBy.get(x) ?? []) walk(c);
    };
    walk(id);
    return [...seen].map((x) => this.alerts.get(x)!).sort((a, b) => a.seq - b.seq);
  }

  /** Delivered / acknowledged counts of each alert against `stations` (the feed's progress). */
  progress(
    ids: readonly string[],
    stations: readonly StationView[],
  ): Record<string, AlertProgress> {
    const out: Record<string, AlertProgress> = {};
    for (const id of ids) {
      const alert = this.alerts.get(id);
      if (!alert) continue;
      const t = track(alert, this.receipts.get(id) ?? [], stations);
      out[id] = { expected: t.expected, received: t.received, acknowledged: t.acknowledged };
    }
    return out;
  }

  /** The alert's page: content, chain, receipts and tracker against `stations` (the directory). */
  detail(id: string, stations: readonly StationView[]): AlertDetail | undefined {
    const alert = this.alerts.get(id);
    if (!alert) return undefined;
    const receipts = [...(this.receipts.get(id) ?? [])].sort(
      (a, b) => (a.at ?? '').localeCompare(b.at ?? '') || a.seq - b.seq,
    );
    return { alert, chain: this.chain(id), receipts, tracker: track(alert, receipts, stations) };
  }
}

/** How far each addressed station has come, and the cumulative counts over time. */
export function track(
  alert: AlertView,
  receipts: readonly ReceiptView[],
  stations: readonly StationView[],
): TrackerView {
  const rows = new Map<string, TrackerView['stations'][number]>();
  for (const s of stations)
    if (addresses(alert, s))
      rows.set(s.identity, {
        station: s.identity,
        state: 'pending',
        delivered: null,
        read: null,
        acknowledged: null,
        online: s.online,
      });
  const timeline: TrackerView['timeline'] = [];
  const count = { received: 0, read: 0, acknowledged: 0 };
  for (const r of receipts) {
    if (!(r.kind in RANK) || r.kind === 'pending') continue;
    const kind = r.kind as Exclude<Progress, 'pending'>;
    // A station the directory does not list (its broker did not answer) still counts.
    let row = rows.get(r.station);
    if (!row) {
      row = {
        station: r.station,
        state: 'pending',
        delivered: null,
        read: null,
        acknowledged: null,
        online: null,
      };
      rows.set(r.station, row);
    }
    if (row[kind]) continue;
    row[kind] = r.at;
    const before = RANK[row.state];
    if (RANK[kind] > before) {
      row.state = kind;
      if (before < RANK.delivered) count.received++;
      if (before < RANK.read && RANK[kind] >= RANK.read) count.read++;
      if (kind === 'acknowledged') count.acknowledged++;
      timeline.push({ at: r.at ?? '', ...count });
    }
  }
  const list = [...rows.values()].sort(
    (a, b) => RANK[a.state] - RANK[b.state] || a.station.localeCompare(b.station),
  );
  return { alertId: alert.id, expected: rows.size, ...count, stations: list, timeline };
}
