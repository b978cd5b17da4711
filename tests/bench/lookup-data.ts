import { fork } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SqliteBrokerStore } from '@cctns/broker';
import { parseIdentity, Pki, STATE_CODES, STATES } from '@cctns/pki';
import { Gender, PersonStatus, Record as RecordMsg } from '@cctns/proto';
import { recordKeys } from '../../broker/src/records/keys.js';
import { KEY_VERSION } from '../../broker/src/records/names.js';
import { nameData } from '../../broker/src/records/prepared.js';
import { validateRecord } from '../../broker/src/records/validate.js';
import { generatePersons, mulberry32 } from '../support/indian-names.js';
import { makePki, TEST_PASSPHRASE } from '../support/network.js';
import { note as noteFor, nowMs } from './report.js';

/**
 * The lookup benchmark's data: one SQLite store per State/UT of generated persons, written in
 * child processes through the store's `putRecord` exactly as the record service writes a
 * station's put (validated, `recordKeys`, the names prepared by `nameData`, the protobuf
 * `Record`), and cached under the system's temporary folder keyed by the counts, the seed, the
 * data format and the index-key version; and the PKI the brokers run with, also cached.
 */

/** Bump when the generated records or what is stored with them change, so caches are rebuilt. */
const DATA_FORMAT = 2;
const BUILD_FLAG = '--lookup-store-builder';
const note = (what: string) => noteFor('lookup', what);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
interface BuildJob {
  state: string;
  persons: number;
  seed: number;
  file: string;
}

type BuildMessage = { progress: number } | { done: string } | { error: string };

/** Each state's generator seed: the run's seed and the state's place in the list. */
export function stateSeed(seed: number, state: string): number {
  return (seed * 7919 + (STATE_CODES as readonly string[]).indexOf(state) * 104_729) >>> 0;
}

/** A district name as an identity segment: `North 24 Parganas` → `NORTH-24-PARGANAS`. */
function districtSegment(name: string): string {
  return name
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '-')
    .slice(0, 32)
    .replace(/^-+|-+$/g, '');
}

/** Record statuses: most are accused or arrested; ~3 % are ones whose owner hears of a hit. */
function personStatus(rng: () => number): PersonStatus {
  const r = rng();
  if (r < 0.015) return PersonStatus.PERSON_STATUS_WANTED;
  if (r < 0.02) return PersonStatus.PERSON_STATUS_PROCLAIMED_OFFENDER;
  if (r < 0.03) return PersonStatus.PERSON_STATUS_MISSING;
  if (r < 0.38) return PersonStatus.PERSON_STATUS_ARRESTED;
  return PersonStatus.PERSON_STATUS_ACCUSED;
}

/**
 * Writes one state's persons into a new store file, each through `putRecord` as the record
 * service does for a station's put (validated, keys from `recordKeys`, the protobuf `Record` with
 * the id, owner, version and time the store settles on). Owner: station PS001 of the person's
 * district (one station per district). Persons get ids `person:<STATE>-1` … in generation order.
 */
async function buildState(job: BuildJob, onProgress: (rows: number) => void): Promise<void> {
  const seed = stateSeed(job.seed, job.state);
  const people = generatePersons(job.persons, seed, { state: job.state });
  const names = [...new Set(people.flatMap((p) => (p.district ? [p.district] : [])))].sort();
  if (names.length === 0) names.push('Headquarters');
  const owners = new Map(
    names.map((name) => {
      const owner = `station/${job.state}/${districtSegment(name)}/PS001`;
      const id = parseIdentity(owner);
      if (id.kind !== 'station') throw new Error(`${owner} is not a station identity`);
      return [name, { owner, district: id.district }];
    }),
  );
  const stateName = (STATES as Record<string, string>)[job.state] ?? job.state;
  const rng = mulberry32(seed ^ 0x5bd1e995);
  const part = `${job.file}.part`;
  for (const f of [part, `${part}-wal`, `${part}-shm`]) rmSync(f, { force: true });
  const store = new SqliteBrokerStore(part);
  try {
    let unreported = 0;
    for (const p of people) {
      const where = p.district ?? names[Math.floor(rng() * names.length)]!;
      const { owner, district } = owners.get(where)!;
      const status = personStatus(rng);
      const gender = p.gender === 'male' ? Gender.GENDER_MALE : Gender.GENDER_FEMALE;
      const record = RecordMsg.fromPartial({
        kind: {
          $case: 'person',
          value: {
            name: p.name,
            aliases: p.aliases,
            fatherName: p.fatherName,
            gender,
            age: p.age,
            status,
            address: `${where}, ${stateName}`,
          },
        },
      });
      const kind = validateRecord(record);
      await store.putRecord({
        kind,
        owner,
        district,
        status,
        gender,
        age: p.age,
        keys: recordKeys(record),
        names: nameData(record),
        encode: (rid, version, at) =>
          RecordMsg.encode({ ...record, id: rid, owner, version, updatedAt: at }).finish(),
        at: new Date(),
        state: job.state,
      });
      if (++unreported === 1000) {
        onProgress(unreported);
        unreported = 0;
      }
    }
    if (unreported) onProgress(unreported);
  } finally {
    await store.close();
  }
  for (const f of [`${part}-wal`, `${part}-shm`]) rmSync(f, { force: true });
  renameSync(part, job.file);
}

/** The cached stores, building the ones that are missing (one child process per core). */
export async function stateStores(opts: { persons: number; seed: number }): Promise<{
  dir: string;
  built: string[];
  reused: number;
  seconds: number;
  rowsPerSecond: number;
  workers: number;
}> {
  const dir = join(
    tmpdir(),
    `cctns-bench-lookup-data-f${DATA_FORMAT}-k${KEY_VERSION}-${opts.persons}x${STATE_CODES.length}-seed${opts.seed}`,
  );
  mkdirSync(dir, { recursive: true });
  const missing = STATE_CODES.filter((s) => !existsSync(join(dir, `${s}.db`)));
  const t0 = nowMs();
  const workers = Math.max(1, Math.min(cpus().length, missing.length));
  if (missing.length === 0)
    return { dir, built: [], reused: STATE_CODES.length, seconds: 0, rowsPerSecond: 0, workers: 0 };
  note(
    `building ${missing.length} state stores of ${fmt(opts.persons)} persons into ${dir} with ${workers} processes (cached for later runs)`,
  );
  const queue = [...missing];
  const total = missing.length * opts.persons;
  let rows = 0;
  let statesDone = 0;
  let lastNote = nowMs();
  let failure: Error | undefined;
  const report = () => {
    if (nowMs() - lastNote < 15_000) return;
    lastNote = nowMs();
    const rate = rows / ((nowMs() - t0) / 1000);
    note(
      `building: ${fmt(rows)}/${fmt(total)} persons, ${statesDone}/${missing.length} states, ${fmt(rate)}/s, about ${((total - rows) / rate / 60).toFixed(1)} min to go`,
    );
  };
  const worker = async () => {
    const child = fork(fileURLToPath(import.meta.url), [BUILD_FLAG], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    try {
      for (let state = queue.shift(); state && !failure; state = queue.shift()) {
        const s0 = nowMs();
        const job: BuildJob = {
          state,
          persons: opts.persons,
          seed: opts.seed,
          file: join(dir, `${state}.db`),
        };
        await new Promise<void>((done, fail) => {
          const off = () => {
            child.off('message', onMessage);
            child.off('exit', onExit);
          };
          const onMessage = (m: BuildMessage) => {
            if ('progress' in m) {
              rows += m.progress;
              report();
            } else if ('done' in m) {
              off();
              done();
            } else {
              off();
              fail(new Error(`building ${state}: ${m.error}`));
            }
          };
          const onExit = (code: number | null) => {
            off();
            fail(new Error(`the builder of ${state} exited (${code})`));
          };
          child.on('message', onMessage);
          child.on('exit', onExit);
          child.send(job);
        });
        statesDone++;
        note(
          `built ${state} (${statesDone}/${missing.length}) in ${((nowMs() - s0) / 1000).toFixed(0)} s`,
        );
      }
    } catch (err) {
      failure ??= err as Error;
    } finally {
      child.kill();
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  if (failure) throw failure;
  const seconds = (nowMs() - t0) / 1000;
  return {
    dir,
    built: missing,
    reused: STATE_CODES.length - missing.length,
    seconds,
    rowsPerSecond: total / seconds,
    workers,
  };
}

// A builder child process: builds the stores it is sent, reports progress.
if (
  process.argv[2] === BUILD_FLAG &&
  process.send &&
  resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url)
) {
  const send = (m: BuildMessage) => process.send!(m);
  process.on('message', (job: BuildJob) => {
    buildState(job, (n) => send({ progress: n })).then(
      () => send({ done: job.state }),
      (err: unknown) =>
        send({ error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
    );
  });
}

/** The root and all CAs, made once (2048-bit keys take a while) and reused by later runs. */
export async function benchPki(): Promise<{ pki: Pki; reused: boolean }> {
  const parent = join(tmpdir(), 'cctns-bench-lookup-pki');
  const names = ['CENTRAL', ...STATE_CODES];
  if (!existsSync(join(parent, 'pki', 'pki.json'))) {
    rmSync(parent, { recursive: true, force: true });
    mkdirSync(parent, { recursive: true });
    return { pki: (await makePki(parent, names)).pki, reused: false };
  }
  const pki = Pki.open(join(parent, 'pki'));
  const have = new Set<string>(pki.caNames());
  for (const name of names)
    if (!have.has(name))
      await pki.initCa(name, {
        rootPassphrase: TEST_PASSPHRASE,
        passphrase: TEST_PASSPHRASE,
        keyBits: 2048,
      });
  return { pki, reused: true };
}
