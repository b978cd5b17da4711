/**
 * `npm run bench`: runs the benchmarks and prints figures with their raw baselines measured in
 * the same run. Options: `--only <name>` (link, pki, federation, console, lookup, national), `--quick`
 * (smaller counts, for a smoke run); for lookup also `--rate <queries/s>` and `--seconds <s>`,
 * `--phases in-process,nats,processes` (which national phases run; all by default) and
 * `--process-rate <queries/s>` / `--process-seconds <s>` / `--process-warmup <queries>` for the
 * phase with a process per broker.
 */
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
    count: { type: 'string' },
    rate: { type: 'string' },
    seconds: { type: 'string' },
    phases: { type: 'string' },
    'process-rate': { type: 'string' },
    'process-seconds': { type: 'string' },
    'process-warmup': { type: 'string' },
  },
});

const LOOKUP_PHASES = ['in-process', 'nats', 'processes'] as const;
type LookupPhase = (typeof LOOKUP_PHASES)[number];
const lookupPhases = (values.phases ?? LOOKUP_PHASES.join(',')).split(',') as LookupPhase[];
for (const p of lookupPhases)
  if (!LOOKUP_PHASES.includes(p)) throw new Error(`--phases: unknown phase ${p}`);

// Imported when run: a bench that does not load (e.g. mid-rewrite) does not stop the others.
const benches: Record<string, () => Promise<void>> = {
  link: async () =>
    (await import('./link.bench.js')).benchLink({
      latency: values.quick ? 60 : 500,
      throughput: values.quick ? 800 : 8000,
      senders: 4,
      window: 64,
    }),
  federation: async () =>
    (await import('./federation.bench.js')).benchFederation({
      stations: values.quick ? 200 : 2000,
      broadcasts: values.quick ? 3 : 5,
      latency: values.quick ? 50 : 200,
    }),
  pki: async () =>
    (await import('./pki.bench.js')).benchPki({
      count: values.count ? Number(values.count) : values.quick ? 720 : 17_712,
      keyPool: values.quick ? 16 : 128,
    }),
  console: async () =>
    (await import('./console.bench.js')).benchConsole({
      clients: values.quick ? 50 : 200,
      rate: 20,
      seconds: values.quick ? 5 : 10,
    }),
  lookup: async () =>
    (await import('./lookup.bench.js')).benchLookup({
      persons: values.quick ? 5_000 : 100_000,
      seed: 7,
      rate: values.rate ? Number(values.rate) : values.quick ? 2 : 0.5,
      seconds: values.seconds ? Number(values.seconds) : values.quick ? 10 : 200,
      warmup: 3,
      perState: values.quick ? 20 : 100,
      lookupTimeoutMs: 3000, // the brokers' default (DEFAULT_LOOKUP_TIMEOUT_MS)
      phases: new Set(lookupPhases),
      // The load: 5 national queries a second.
      processRate: values['process-rate'] ? Number(values['process-rate']) : 5,
      processWarmup: values['process-warmup'] ? Number(values['process-warmup']) : 3,
      processSeconds: values['process-seconds']
        ? Number(values['process-seconds'])
        : values.quick
          ? 10
          : 60,
    }),
  national: async () =>
    (await import('./national.bench.js')).benchNational({
      stations: values.quick ? 1_800 : 17_712,
      states: values.quick ? 6 : 36,
      holders: values.quick ? 2 : 6,
      broadcasts: values.quick ? 3 : 5,
      ingest: values.quick ? 2_000 : 10_000,
      senders: 200,
      window: 4,
    }),
};

const names = values.only ? values.only.split(',') : Object.keys(benches);
process.stdout.write(
  `cctns benchmarks on node ${process.version}, ${(await import('node:os')).cpus().length} cores\n`,
);
for (const name of names) {
  const bench = benches[name];
  if (!bench) {
    process.stderr.write(`unknown benchmark ${name}; known: ${Object.keys(benches).join(', ')}\n`);
    process.exitCode = 2;
    break;
  }
  await bench();
}
