import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pki } from '@cctns/pki';
import { Agent, enroll } from '@cctns/station-agent';
import { cctns } from '../support/cli.js';
import { TEST_PASSPHRASE, testLogger } from '../support/network.js';
import { freePort, startCctns, type CctnsProcess } from '../support/processes.js';

/** A state broker run as its own `cctns broker start` process, on fixed ports so it can restart. */
export interface ProcessBroker {
  identity: string;
  grpc: string;
  enroll: string;
  config: string;
  /** The running process (replaced by `start`). */
  process: CctnsProcess | undefined;
  /** Starts the broker and waits for its ready line. */
  start(): Promise<CctnsProcess>;
  /** SIGKILL (nothing flushed) and wait for the exit. */
  kill(): Promise<void>;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
}

const env = { CCTNS_CA_PASSPHRASE: TEST_PASSPHRASE };

/**
 * `cctns broker init` for `broker/<state>` in `dir/<state>` with network enrollment, then the
 * config edited: high rate limits (these tests are about faults, not floods) and `extra` fields
 * (e.g. `nats`, `store`).
 */
export async function initProcessBroker(
  dir: string,
  pki: Pki,
  state: string,
  extra: Record<string, unknown> = {},
): Promise<ProcessBroker> {
  const [port, enrollPort] = [await freePort(), await freePort()];
  const out = join(dir, state);
  const init = await cctns(
    [
      'broker',
      'init',
      '--identity',
      `broker/${state}`,
      '--out',
      out,
      '--pki-dir',
      pki.dir,
      '--listen',
      `127.0.0.1:${port}`,
      '--enroll-listen',
      `127.0.0.1:${enrollPort}`,
      '--http-listen',
      '',
    ],
    { env },
  );
  if (init.code !== 0) throw new Error(`broker init failed: ${init.stderr}`);
  const config = join(out, 'broker.json');
  const cfg = JSON.parse(readFileSync(config, 'utf8')) as Record<string, unknown>;
  writeFileSync(
    config,
    JSON.stringify({ ...cfg, limits: { ratePerSecond: 10_000, burst: 10_000 }, ...extra }),
  );
  const broker: ProcessBroker = {
    identity: `broker/${state}`,
    grpc: `127.0.0.1:${port}`,
    enroll: `127.0.0.1:${enrollPort}`,
    config,
    process: undefined,
    start: async () => {
      const p = startCctns(
        ['--json', 'broker', 'start', '--config', config, '--log-level', 'warn'],
        { env },
      );
      broker.process = p;
      await p.ready;
      return p;
    },
    kill: async () => {
      const p = broker.process;
      if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
      p.child.kill('SIGKILL');
      await p.exited;
    },
    stop: async () => {
      const p = broker.process;
      if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
      p.child.kill('SIGTERM');
      await p.exited;
    },
  };
  return broker;
}

/** Enrolls a station at a process broker (token from its state's CA) and opens its agent in `dir`. */
export async function enrollAt(
  pki: Pki,
  broker: Pick<ProcessBroker, 'grpc' | 'enroll'>,
  identity: string,
  dir: string,
): Promise<Agent> {
  const state = identity.split('/')[1]!;
  const { token } = await pki.unlockCa(state, TEST_PASSPHRASE).createToken(identity);
  await enroll({
    dir,
    broker: broker.grpc,
    enrollAddress: broker.enroll,
    token,
    rootPem: pki.root.toString(),
  });
  return Agent.open(dir, { logger: testLogger });
}
