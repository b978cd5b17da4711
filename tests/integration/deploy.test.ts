import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Pki } from '@cctns/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cctns, run, tempDir } from '../support/cli.js';
import { makePki, provision, TEST_PASSPHRASE } from '../support/network.js';

// The deployment kit in deploy/: the systemd units pass systemd-analyze verify, and every example
// broker configuration loads with `cctns broker start --check` once its certificates are there.
const repo = resolve(import.meta.dirname, '..', '..');
const deploy = join(repo, 'deploy');
const work = tempDir('deploy');
const units = readdirSync(join(deploy, 'systemd')).filter((f) => f.endsWith('.service'));
const examples = ['state-MH', 'national'].flatMap((site) =>
  readdirSync(join(deploy, 'examples', site))
    .filter((f) => /^broker-\d+\.json$/.test(f))
    .map((f) => [site, f] as const),
);
let pki: Pki;

/** Debian's systemd-analyze (the `systemd` package, which .ci/run installs when missing). */
function systemdAnalyze(): string {
  const found = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((p) => existsSync(p));
  if (!found)
    throw new Error(
      "systemd-analyze not found: install Debian's systemd package (`apt-get install systemd`, as .ci/run does)",
    );
  return found;
}

beforeAll(async () => {
  ({ pki } = await makePki(work, ['MH', 'CENTRAL']));
}, 120_000);

afterAll(() => pki?.close());

describe('deploy/systemd', () => {
  it('has a unit for the broker, the console and the agent', () => {
    expect(units.sort()).toEqual([
      'cctns-agent.service',
      'cctns-broker.service',
      'cctns-console.service',
    ]);
  });

  it.each(units)('%s runs hardened as the cctns user, restarting on failure', (unit) => {
    const text = readFileSync(join(deploy, 'systemd', unit), 'utf8');
    for (const line of [
      'User=cctns',
      'NoNewPrivileges=yes',
      'ProtectSystem=strict',
      'PrivateTmp=yes',
      'Restart=on-failure',
      'UMask=0077',
    ])
      expect(text).toMatch(new RegExp(`^${line}$`, 'm'));
    // The data folder is the only one it may write, and it is the unit's StateDirectory.
    const state = /^StateDirectory=(.+)$/m.exec(text)?.[1];
    expect(text).toMatch(new RegExp(`^ReadWritePaths=/var/lib/${state}$`, 'm'));
  });

  it.each(units)('%s passes systemd-analyze verify', async (unit) => {
    // verify checks that every ExecStart= program exists and is executable: the units name the
    // install location of the runbook (/opt/cctns, Node.js at /usr/bin/node), which this machine
    // may not have, so the copy verified here points at this checkout and this Node.js. It needs
    // no running systemd (PID 1): verify loads the units into an offline manager.
    const dir = join(work, 'units');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, unit),
      readFileSync(join(deploy, 'systemd', unit), 'utf8')
        .replaceAll('/usr/bin/node ', `${process.execPath} `)
        .replaceAll('/opt/cctns/', `${repo}/`),
    );
    const r = await run(systemdAnalyze(), ['verify', '--man=no', join(dir, unit)], { cwd: dir });
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.code).toBe(0);
  });
});

describe('deploy/examples', () => {
  it.each(examples)('%s/%s loads with cctns broker start --check', async (site, file) => {
    const config = JSON.parse(readFileSync(join(deploy, 'examples', site, file), 'utf8')) as {
      identity: string;
      pkiDir?: string;
    };
    // The folder the runbook installs as /etc/cctns/broker: the config beside its certificates.
    const dir = join(work, site, file.replace('.json', ''));
    const ca = config.identity === 'broker/national' ? 'CENTRAL' : 'MH';
    await provision(pki, pki.unlockCa(ca, TEST_PASSPHRASE), config.identity, dir);
    cpSync(join(deploy, 'examples', site, file), join(dir, 'broker.json'));
    if (config.pkiDir) cpSync(pki.dir, join(dir, config.pkiDir), { recursive: true });
    const r = await cctns(['--json', 'broker', 'start', '--check', '--config', 'broker.json'], {
      cwd: dir,
      env: {
        // The example's /var/lib/cctns/broker exists only on an installed host.
        CCTNS_BROKER_STORE: `sqlite:${join(dir, 'broker.db')}`,
        CCTNS_CA_PASSPHRASE: TEST_PASSPHRASE,
      },
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as {
      identity: string;
      nats: { servers: string[]; replicas: number };
      checks: Array<{ name: string; status: string }>;
    };
    expect(summary.identity).toBe(config.identity);
    expect(summary.nats.servers).toHaveLength(3);
    expect(summary.nats.replicas).toBe(3);
    expect(summary.checks.filter((c) => c.status === 'fail')).toEqual([]);
    if (config.pkiDir) expect(summary.checks.map((c) => c.name)).toContain('pki');
  });

  it('has two broker replicas for the state and for the national site', () => {
    expect(examples.filter(([s]) => s === 'state-MH')).toHaveLength(2);
    expect(examples.filter(([s]) => s === 'national')).toHaveLength(2);
  });
});
