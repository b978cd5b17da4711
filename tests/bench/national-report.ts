import type { BroadcastResult, StormResult } from './national-phases.js';
import type { Sampler } from './national-procs.js';
import type { ProfileSummary } from './national-profile.js';
import { line, percentile } from './report.js';

const B = 'national';

/** Everything the national benchmark measured, for the printed lines and the summary table. */
export interface NationalFigures {
  stations: number;
  states: number;
  largest: string;
  alertBytes: number;
  p1: BroadcastResult;
  rawP1: BroadcastResult;
  p3: {
    cctns: { rate: number; seconds: number };
    js: { rate: number; seconds: number; stream: string };
    relay: { rate: number; seconds: number };
    total: number;
    senders: number;
    window: number;
  };
  p6: {
    largest: { links: number; reported: number; rss: number; heap: number; rssTotal: number };
    all: { links: number; rss: number; heap: number };
  };
  /** P6 of the raw gRPC servers: memory per idle stream, measured as the brokers' P6 idle. */
  rawP6: NationalFigures['p6'];
  p6during: { rss: number; heap: number; base: { rss: number; heap: number } };
  p7: StormResult;
  anomalies: { stray: number; duplicated: number };
  profile: { broadcast: ProfileSummary; ingest: ProfileSummary };
  processes: ReturnType<Sampler['summary']>;
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const ms = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(0)} ms`);
const x = (v: number) => `${v.toFixed(2)}×`;

/** Prints every figure as a result line, then a Markdown table to paste into BENCHMARKS.md. */
export function printSummary(f: NationalFigures): void {
  const p1 = {
    last50: percentile(f.p1.last, 50),
    lastMax: Math.max(...f.p1.last),
    first50: percentile(f.p1.first, 50),
  };
  const raw = {
    last50: percentile(f.rawP1.last, 50),
    lastMax: Math.max(...f.rawP1.last),
    first50: percentile(f.rawP1.first, 50),
  };
  const largestLinks = f.p6.largest.links;
  const during = {
    rss: (f.p6during.rss - f.p6during.base.rss) / largestLinks,
    heap: (f.p6during.heap - f.p6during.base.heap) / largestLinks,
  };
  line(
    B,
    'P1 broadcast, last station p50',
    p1.last50,
    'ms',
    `${f.p1.last.length} broadcasts to ${f.p1.stations} stations, ${f.alertBytes} bytes`,
  );
  line(B, 'P1 broadcast, last station max', p1.lastMax, 'ms');
  line(B, 'P1 broadcast, first station p50', p1.first50, 'ms');
  line(B, 'P1 broadcast, accepted (answer to HQ) p50', percentile(f.p1.answered, 50), 'ms');
  line(B, 'P1 raw gRPC fan-out, last stream p50', raw.last50, 'ms', `${f.rawP1.stations} streams`);
  line(B, 'P1 raw gRPC fan-out, last stream max', raw.lastMax, 'ms');
  line(B, 'P1 raw gRPC fan-out, first stream p50', raw.first50, 'ms');
  line(B, 'P1 ratio last p50 (cctns / raw)', p1.last50 / raw.last50, 'x');
  line(
    B,
    'P3 ingest at one state broker',
    f.p3.cctns.rate,
    'alerts/s',
    `${f.p3.total} alerts from ${f.p3.senders} stations, window ${f.p3.window}`,
  );
  line(B, 'P3 raw JetStream publish, sync acks', f.p3.js.rate, 'msgs/s', f.p3.js.stream);
  line(B, 'P3 raw gRPC relay', f.p3.relay.rate, 'msgs/s');
  line(B, 'P3 ratio (cctns / raw JetStream)', f.p3.cctns.rate / f.p3.js.rate, 'x');
  line(
    B,
    `P6 idle RSS per link, broker/${f.largest}`,
    f.p6.largest.rss / 1024,
    'KB',
    `${largestLinks} links (broker counts ${f.p6.largest.reported}), RSS ${mib(f.p6.largest.rssTotal)}`,
  );
  line(B, `P6 idle heap per link, broker/${f.largest}`, f.p6.largest.heap / 1024, 'KB');
  line(
    B,
    'P6 idle RSS per link, all state brokers',
    f.p6.all.rss / 1024,
    'KB',
    `${f.p6.all.links} links`,
  );
  line(B, 'P6 idle heap per link, all state brokers', f.p6.all.heap / 1024, 'KB');
  line(
    B,
    `P6 raw gRPC server idle RSS per stream, raw/${f.largest}`,
    f.rawP6.largest.rss / 1024,
    'KB',
    `${f.rawP6.largest.links} streams (server counts ${f.rawP6.largest.reported}), RSS ${mib(f.rawP6.largest.rssTotal)}`,
  );
  line(
    B,
    `P6 raw gRPC server idle heap per stream, raw/${f.largest}`,
    f.rawP6.largest.heap / 1024,
    'KB',
  );
  line(
    B,
    'P6 raw gRPC servers idle RSS per stream, all states',
    f.rawP6.all.rss / 1024,
    'KB',
    `${f.rawP6.all.links} streams`,
  );
  line(B, 'P6 raw gRPC servers idle heap per stream, all states', f.rawP6.all.heap / 1024, 'KB');
  line(
    B,
    `P6 ratio idle per link, broker/${f.largest} (cctns / raw), RSS`,
    f.p6.largest.rss / f.rawP6.largest.rss,
    'x',
    `heap ${x(f.p6.largest.heap / f.rawP6.largest.heap)}`,
  );
  line(
    B,
    'P6 ratio idle per link, all states (cctns / raw), RSS',
    f.p6.all.rss / f.rawP6.all.rss,
    'x',
    `heap ${x(f.p6.all.heap / f.rawP6.all.heap)}`,
  );
  line(B, `P6 RSS per link during broadcasts (peak), broker/${f.largest}`, during.rss / 1024, 'KB');
  line(
    B,
    `P6 heap per link during broadcasts (peak), broker/${f.largest}`,
    during.heap / 1024,
    'KB',
  );
  line(
    B,
    'P7 restarted broker ready',
    f.p7.restartReadyMs / 1000,
    's',
    `after SIGKILL of broker/${f.largest} with ${f.p7.stations} stations linked`,
  );
  line(
    B,
    'P7 every station linked again',
    f.p7.allLinkedMs / 1000,
    's',
    `${f.p7.reconnects} reconnect attempts, full-jitter backoff 0.5-30 s`,
  );
  line(
    B,
    'P7 every station caught up',
    f.p7.caughtUpMs / 1000,
    's',
    `${f.p7.missing} missing, ${f.p7.duplicated} duplicated of 8 alerts per station`,
  );
  if (f.anomalies.stray || f.anomalies.duplicated)
    line(
      B,
      'anomalies',
      f.anomalies.stray + f.anomalies.duplicated,
      'events',
      `${f.anomalies.stray} unexpected deliveries, ${f.anomalies.duplicated} duplicates`,
    );

  const out: string[] = [];
  const row = (...cells: string[]) => out.push(`| ${cells.join(' | ')} |`);
  out.push(
    '',
    `National network: ${f.stations.toLocaleString('en-US')} stations over ${f.states} state brokers`,
    '',
  );
  row('figure', 'cctns', 'raw baseline', 'ratio', 'goal');
  row('---', '---', '---', '---', '---');
  row(
    'P1 broadcast, last station p50',
    ms(p1.last50),
    `${ms(raw.last50)} (gRPC fan-out)`,
    x(p1.last50 / raw.last50),
    '≤ 1.5 s, ≤ 1.3×',
  );
  row(
    'P1 broadcast, last station max',
    ms(p1.lastMax),
    ms(raw.lastMax),
    x(p1.lastMax / raw.lastMax),
    '≤ 1.5 s',
  );
  row(
    'P1 broadcast, first station p50',
    ms(p1.first50),
    ms(raw.first50),
    x(p1.first50 / raw.first50),
    '',
  );
  row('P1 accepted (answer to HQ) p50', ms(percentile(f.p1.answered, 50)), '', '', '');
  row(
    'P3 ingest, one state broker',
    `${f.p3.cctns.rate.toFixed(0)} alerts/s`,
    `${f.p3.js.rate.toFixed(0)} msgs/s (JetStream, sync acks)`,
    x(f.p3.cctns.rate / f.p3.js.rate),
    '≥ 0.5×',
  );
  row(
    'P3 ingest vs raw gRPC relay',
    `${f.p3.cctns.rate.toFixed(0)} alerts/s`,
    `${f.p3.relay.rate.toFixed(0)} msgs/s (relay)`,
    x(f.p3.cctns.rate / f.p3.relay.rate),
    '',
  );
  const p6Row = (
    what: string,
    c: { rss: number; heap: number },
    r: { rss: number; heap: number },
  ) =>
    row(
      what,
      `${kb(c.rss)} / ${kb(c.heap)}`,
      `${kb(r.rss)} / ${kb(r.heap)} (gRPC server per stream)`,
      `${x(c.rss / r.rss)} / ${x(c.heap / r.heap)}`,
      '≤ 30 KB',
    );
  p6Row(`P6 per link idle, broker/${f.largest} (RSS / heap)`, f.p6.largest, f.rawP6.largest);
  p6Row('P6 per link idle, all state brokers (RSS / heap)', f.p6.all, f.rawP6.all);
  row(
    `P6 per link during broadcasts, broker/${f.largest} (RSS / heap)`,
    `${kb(during.rss)} / ${kb(during.heap)}`,
    '',
    '',
    '≤ 30 KB',
  );
  row(`P7 SIGKILL broker/${f.largest} → restarted`, ms(f.p7.restartReadyMs), '', '', '');
  row(`P7 → all ${f.p7.stations} linked again`, ms(f.p7.allLinkedMs), '', '', '≤ 60 s');
  row(
    'P7 → all caught up (8 alerts each)',
    `${ms(f.p7.caughtUpMs)}, ${f.p7.missing} lost, ${f.p7.duplicated} duplicated`,
    '',
    '',
    '≤ 60 s, none lost or duplicated',
  );
  out.push(
    '',
    `Processes (CPU over the whole run, peak RSS); peak of all RSS together: ${mib(f.processes.peakTotal)}`,
    '',
  );
  row('processes', 'count', 'CPU s', 'peak RSS (sum)', 'peak RSS (largest)');
  row('---', '---', '---', '---', '---');
  for (const g of f.processes.groups)
    row(g.group, String(g.procs), g.cpu.toFixed(0), mib(g.peakSum), mib(g.peakMax));
  for (const [what, p] of [
    ['during the broadcasts', f.profile.broadcast],
    ['during the ingest', f.profile.ingest],
  ] as const) {
    out.push(
      '',
      `broker/${f.largest} CPU profile ${what}: ${p.sampledMs.toFixed(0)} ms sampled, ${(100 * p.idleShare).toFixed(0)} % idle${p.windowed ? '' : ' (whole profile: windows not found)'}`,
      '',
    );
    const busy = p.sampledMs * (1 - p.idleShare);
    out.push(
      `- by area: ${p.areas.map(([a, t]) => `${a} ${((100 * t) / busy).toFixed(0)} %`).join(', ')}`,
    );
    out.push(
      `- by function: ${p.functions
        .slice(0, 10)
        .map(([n, t]) => `${n} ${((100 * t) / busy).toFixed(1)} %`)
        .join(', ')}`,
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
}
