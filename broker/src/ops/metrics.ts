/** The series key of a label set, `k="v",...`; quotes, backslashes and newlines become `_`. */
function labelKey(label?: { [k: string]: string }): string {
  return label
    ? Object.entries(label)
        .map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`)
        .join(',')
    : '';
}

/**
 * Counters and gauges in the Prometheus text format. Few enough that a library would add more
 * than it saves.
 */
export class Metrics {
  private readonly counters = new Map<string, { help: string; values: Map<string, number> }>();
  private readonly gauges = new Map<string, { help: string; read: () => number }>();

  /** Declares a counter. */
  counter(name: string, help: string): void {
    if (!this.counters.has(name)) this.counters.set(name, { help, values: new Map() });
  }

  /** Adds to a counter, with an optional single label. */
  inc(name: string, label?: { [k: string]: string }, by = 1): void {
    const c = this.counters.get(name);
    if (!c) throw new Error(`unknown counter ${name}`);
    const key = labelKey(label);
    c.values.set(key, (c.values.get(key) ?? 0) + by);
  }

  /** The current value of a counter (label-less or a given label), for tests and status output. */
  value(name: string, label?: { [k: string]: string }): number {
    return this.counters.get(name)?.values.get(labelKey(label)) ?? 0;
  }

  /** Declares a gauge read at scrape time. */
  gauge(name: string, help: string, read: () => number): void {
    this.gauges.set(name, { help, read });
  }

  /** The exposition text. */
  render(): string {
    const out: string[] = [];
    for (const [name, c] of this.counters) {
      out.push(`# HELP ${name} ${c.help}`, `# TYPE ${name} counter`);
      if (c.values.size === 0) out.push(`${name} 0`);
      for (const [labels, v] of c.values) out.push(`${name}${labels ? `{${labels}}` : ''} ${v}`);
    }
    for (const [name, g] of this.gauges)
      out.push(`# HELP ${name} ${g.help}`, `# TYPE ${name} gauge`, `${name} ${g.read()}`);
    return `${out.join('\n')}\n`;
  }
}
