/**
 * `npm run bench`: runs the benchmarks and prints figures with their raw baselines measured in
 * the same run. Options: `--only <name>` (link, pki, federation, console, lookup), `--quick`
 * (smaller counts, for a smoke run); for lookup also `--rate <queries/s>` and `--seconds <s>`.
 */
import { parseArgs } from 'node:util';
import { benchConsole } from './console.bench.js';
import { benchFederation } from './federation.bench.js';
import { benchLink } from './link.bench.js';
import { benchLookup } from './lookup.bench.js';
import { benchPki } from './pki.bench.js';

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
    count: { type: 'string' },
    rate: { type: 'string' },
    seconds: { type: 'string' },
  },
});

const benches: Record<string, () => Promise<void>> = {
  link: () =>
    benchLink({
      latency: values.quick ? 60 : 500,
      throughput: values.quick ? 800 : 8000,
      senders: 4,
      window: 64,
    }),
  federation: () =>
    benchFederation({
      stations: values.quick ? 200 : 2000,
      broadcasts: values.quick ? 3 : 5,
      latency: values.quick ? 50 : 200,
    }),
  pki: () =>
    benchPki({
      count: values.count ? Number(values.count) : values.quick ? 720 : 17_712,
      keyPool: values.quick ? 16 : 128,
    }),
  console: () =>
    benchConsole({
      clients: values.quick ? 50 : 200,
      rate: 20,
      seconds: values.quick ? 5 : 10,
    }),
  lookup: () =>
    benchLookup({
      persons: values.quick ? 5_000 : 100_000,
      seed: 7,
      rate: values.rate ? Number(values.rate) : values.quick ? 2 : 0.5,
      seconds: values.seconds ? Number(values.seconds) : values.quick ? 10 : 200,
      warmup: 3,
      perState: values.quick ? 20 : 100,
      lookupTimeoutMs: 3000, // the brokers' default (DEFAULT_LOOKUP_TIMEOUT_MS)
      nats: true,
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
