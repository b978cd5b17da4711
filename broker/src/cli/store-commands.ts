import { createReadStream, createWriteStream, existsSync, renameSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { outputOf } from '@cctns/pki/cli';
import { loadBrokerConfig } from '../config/config.js';
import { BrokerError } from '../errors.js';
import { exportLine, parseExportLine, SECTIONS, type ExportItem } from '../store/export.js';
import { describeStore, openBrokerStore } from '../store/open.js';

/** Progress is reported on stderr every this many lines. */
const PROGRESS_EVERY = 10_000;

/** The broker configuration with `--store` (if given) in place of the configured store. */
function configWithStore(file: string, store: string | undefined) {
  return loadBrokerConfig(
    file,
    store ? { ...process.env, CCTNS_BROKER_STORE: store } : process.env,
  );
}

/** Progress on stderr (also with --json, whose stdout carries only the summary). */
function progress(what: string): (n: number) => void {
  return (n) => {
    if (n % PROGRESS_EVERY === 0) process.stderr.write(`  ${what} ${n} lines\n`);
  };
}

/** Reads a dump file line by line, checking each line as it comes. */
async function* readDumpFile(
  file: string,
  onLine: (n: number) => void,
): AsyncGenerator<ExportItem> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n++;
    onLine(n);
    yield parseExportLine(line, n);
  }
}

/** Registers `cctns broker export` and `cctns broker import` on the broker group. */
export function registerStoreCommands(group: Command): void {
  group
    .command('export')
    .description(
      "write everything the broker's store holds (log, receipts, directory, notifications, records, audit) to a JSON Lines file",
    )
    .requiredOption('--config <file>', 'broker config (JSON); its store is read')
    .requiredOption('--out <file>', 'the dump to write (not overwritten)')
    .option('--store <store>', 'read this store instead: sqlite:<file> or a mongodb:// URI')
    .action(async (opts: { config: string; out: string; store?: string }, cmd: Command) => {
      const out = outputOf(cmd);
      const target = resolve(opts.out);
      if (existsSync(target)) throw new BrokerError('DUMP_INVALID', `${target} already exists`);
      const config = configWithStore(opts.config, opts.store);
      out.note(`Exporting ${describeStore(config)} to ${target}`);
      const store = await openBrokerStore(config);
      // Written beside the target and renamed at the end: a failed export leaves no dump.
      const partial = `${target}.partial`;
      const file = createWriteStream(partial, { mode: 0o600 });
      const counts: Record<string, number> = {};
      const tick = progress('exported');
      let lines = 0;
      try {
        for await (const item of store.exportAll()) {
          if (!file.write(`${exportLine(item)}\n`)) await once(file, 'drain');
          if (item.type === 'end') Object.assign(counts, item.counts);
          tick(++lines);
        }
        file.end();
        await once(file, 'finish');
        renameSync(partial, target);
      } catch (err) {
        file.destroy();
        rmSync(partial, { force: true });
        throw err;
      } finally {
        await store.close();
      }
      out.result(
        [
          `Exported ${lines} lines to ${target}`,
          ...SECTIONS.map((s) => `  ${s.padEnd(16)} ${counts[s] ?? 0}`),
        ].join('\n'),
        { file: target, store: describeStore(config), lines, counts },
      );
    });

  group
    .command('import')
    .description(
      'load a dump written by `cctns broker export` into an empty store (SQLite or MongoDB), keeping every sequence number and hash',
    )
    .requiredOption('--config <file>', 'broker config (JSON); its store is written')
    .requiredOption('--in <file>', 'the dump to read')
    .option('--store <store>', 'write this store instead: sqlite:<file> or a mongodb:// URI')
    .action(async (opts: { config: string; in: string; store?: string }, cmd: Command) => {
      const out = outputOf(cmd);
      const source = resolve(opts.in);
      if (!existsSync(source)) throw new BrokerError('DUMP_INVALID', `no such file ${source}`);
      const config = configWithStore(opts.config, opts.store);
      out.note(`Importing ${source} into ${describeStore(config)}`);
      const store = await openBrokerStore(config);
      let report;
      try {
        report = await store.importAll(readDumpFile(source, progress('imported')));
      } finally {
        await store.close();
      }
      if (!report.audit.chainOk)
        process.stderr.write(
          `warning: the imported audit does not verify from entry ${report.audit.firstProblemSeq} on (it was copied as it was; run cctns audit verify on the source)\n`,
        );
      out.result(
        [
          `Imported ${source} into ${describeStore(config)}`,
          ...SECTIONS.map((s) => `  ${s.padEnd(16)} ${report.counts[s]}`),
          `  audit chain      ${report.audit.chainOk ? 'verifies' : `BROKEN at entry ${report.audit.firstProblemSeq}`} (${report.audit.entries} entries, head ${report.audit.head.slice(0, 16)}…)`,
        ].join('\n'),
        { file: source, store: describeStore(config), ...report },
      );
    });
}
