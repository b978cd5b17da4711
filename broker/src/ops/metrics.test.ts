import { describe, expect, it } from 'vitest';
import { Metrics } from './metrics.js';

/** Every line of a Prometheus text exposition: comments, or `name{labels} value`. */
const SAMPLE =
  /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*"(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*")*\})? -?\d+(\.\d+)?(e[+-]?\d+)?$/;
const COMMENT = /^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$/;

const lines = (text: string) => text.trimEnd().split('\n');

describe('Metrics', () => {
  it('renders a declared counter with HELP, TYPE and 0 before any increment', () => {
    const m = new Metrics();
    m.counter('cctns_alerts_in_total', 'Alerts accepted');
    expect(m.render()).toBe(
      '# HELP cctns_alerts_in_total Alerts accepted\n' +
        '# TYPE cctns_alerts_in_total counter\n' +
        'cctns_alerts_in_total 0\n',
    );
  });

  it('inc adds one, or the given amount, to the unlabelled series', () => {
    const m = new Metrics();
    m.counter('cctns_alerts_in_total', 'Alerts accepted');
    m.inc('cctns_alerts_in_total');
    m.inc('cctns_alerts_in_total');
    m.inc('cctns_alerts_in_total', undefined, 5);
    expect(m.value('cctns_alerts_in_total')).toBe(7);
    expect(lines(m.render())).toContain('cctns_alerts_in_total 7');
  });

  it('keeps one series per label value and renders it as name{label="value"}', () => {
    const m = new Metrics();
    m.counter('cctns_receipts_in_total', 'Receipts accepted');
    m.inc('cctns_receipts_in_total', { kind: 'read' });
    m.inc('cctns_receipts_in_total', { kind: 'read' });
    m.inc('cctns_receipts_in_total', { kind: 'acknowledged' });
    expect(m.value('cctns_receipts_in_total', { kind: 'read' })).toBe(2);
    expect(m.value('cctns_receipts_in_total', { kind: 'acknowledged' })).toBe(1);
    expect(m.value('cctns_receipts_in_total', { kind: 'delivered' })).toBe(0);
    expect(m.value('cctns_receipts_in_total')).toBe(0);
    const out = lines(m.render());
    expect(out).toContain('cctns_receipts_in_total{kind="read"} 2');
    expect(out).toContain('cctns_receipts_in_total{kind="acknowledged"} 1');
    expect(out).not.toContain('cctns_receipts_in_total 0');
  });

  it('renders several labels comma-separated', () => {
    const m = new Metrics();
    m.counter('cctns_refusals_total', 'Refusals');
    m.inc('cctns_refusals_total', { reason: 'RATE_LIMITED', service: 'link' });
    expect(lines(m.render())).toContain(
      'cctns_refusals_total{reason="RATE_LIMITED",service="link"} 1',
    );
  });

  it('keeps label values with quotes, backslashes and newlines from breaking the exposition', () => {
    const m = new Metrics();
    m.counter('cctns_refusals_total', 'Refusals');
    m.inc('cctns_refusals_total', { reason: 'a"b\\c\nd' });
    const out = m.render();
    for (const line of lines(out)) expect(line).toMatch(line.startsWith('#') ? COMMENT : SAMPLE);
    expect(lines(out)).toHaveLength(3);
  });

  it('value reads back a series whose label value had to be sanitised', () => {
    const m = new Metrics();
    m.counter('cctns_refusals_total', 'Refusals');
    m.inc('cctns_refusals_total', { reason: 'say "hi"' });
    m.inc('cctns_refusals_total', { reason: 'say "hi"' });
    expect(m.value('cctns_refusals_total', { reason: 'say "hi"' })).toBe(2);
  });

  it('inc on an undeclared counter throws, naming it', () => {
    const m = new Metrics();
    expect(() => m.inc('cctns_nope_total')).toThrow('unknown counter cctns_nope_total');
  });

  it('value of an undeclared counter is 0', () => {
    expect(new Metrics().value('cctns_nope_total')).toBe(0);
  });

  it('declaring a counter again keeps its values and first help text', () => {
    const m = new Metrics();
    m.counter('cctns_alerts_in_total', 'Alerts accepted');
    m.inc('cctns_alerts_in_total', undefined, 3);
    m.counter('cctns_alerts_in_total', 'Something else');
    expect(m.value('cctns_alerts_in_total')).toBe(3);
    expect(m.render()).toContain('# HELP cctns_alerts_in_total Alerts accepted\n');
    expect(m.render()).not.toContain('Something else');
  });

  it('renders a gauge with HELP, TYPE gauge and its value', () => {
    const m = new Metrics();
    m.gauge('cctns_links_open', 'Open station links', () => 3);
    expect(m.render()).toBe(
      '# HELP cctns_links_open Open station links\n# TYPE cctns_links_open gauge\ncctns_links_open 3\n',
    );
  });

  it('reads gauges at scrape time, not at declaration', () => {
    const m = new Metrics();
    let open = 0;
    let reads = 0;
    m.gauge('cctns_links_open', 'Open station links', () => {
      reads++;
      return open;
    });
    expect(reads).toBe(0);
    open = 12;
    expect(lines(m.render())).toContain('cctns_links_open 12');
    open = 4;
    expect(lines(m.render())).toContain('cctns_links_open 4');
    expect(reads).toBe(2);
  });

  it('renders counters and gauges together as valid exposition text ending in a newline', () => {
    const m = new Metrics();
    m.counter('cctns_alerts_in_total', 'Alerts accepted');
    m.counter('cctns_receipts_in_total', 'Receipts accepted');
    m.inc('cctns_receipts_in_total', { kind: 'delivered' }, 40);
    m.gauge('cctns_links_open', 'Open station links', () => 2);
    m.gauge('cctns_log_head', 'Highest log sequence', () => 1_234_567);
    const out = m.render();
    expect(out.endsWith('\n')).toBe(true);
    const all = lines(out);
    expect(all).toHaveLength(12);
    for (const line of all) expect(line).toMatch(line.startsWith('#') ? COMMENT : SAMPLE);
    expect(all.filter((l) => l.startsWith('# TYPE')).map((l) => l.split(' ')[3])).toEqual([
      'counter',
      'counter',
      'gauge',
      'gauge',
    ]);
  });
});
