import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Broker } from '@cctns/broker';
import type { Pki } from '@cctns/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/cli.js';
import { makePki, startBroker } from '../support/network.js';

// deploy/monitoring is built on what brokers really expose: every metric its alert rules and its
// Grafana dashboard name is in a running broker's /metrics.
const monitoring = resolve(import.meta.dirname, '..', '..', 'deploy', 'monitoring');
const rules = readFileSync(join(monitoring, 'cctns-alerts.rules.yml'), 'utf8');
const dashboard = JSON.parse(
  readFileSync(join(monitoring, 'grafana-cctns-brokers.json'), 'utf8'),
) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
const work = tempDir('monitoring');
let pki: Pki;
let broker: Broker;
let exposed: Set<string>;

/** Metric names in a PromQL text (Prometheus's own `up` is not a broker's). */
function metricNames(text: string): string[] {
  return [...text.matchAll(/\b((?:cctns|process|nodejs)_[a-z_]+)\b/g)].map((m) => m[1]!);
}

beforeAll(async () => {
  ({ pki } = await makePki(work, ['MH']));
  broker = await startBroker(work, pki, 'MH');
  const text = await (await fetch(`http://${broker.addresses.http}/metrics`)).text();
  exposed = new Set(
    text
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => /^[a-z_]+/.exec(l)![0]),
  );
}, 120_000);

afterAll(async () => {
  await broker?.stop();
  pki?.close();
});

describe('deploy/monitoring', () => {
  const ruleMetrics = [...new Set(metricNames(rules))];
  const exprs = [...rules.matchAll(/^\s+expr: (.+)$/gm)].map((m) => m[1]!);

  it('has the alert rules the runbook promises, each with an expression', () => {
    for (const alert of [
      'CctnsBrokerDown',
      'CctnsBacklogGrowing',
      'CctnsStationsSilent',
      'CctnsCertificateExpiring',
      'CctnsNotificationsFailing',
      'CctnsAuditCheckpointStale',
    ])
      expect(rules).toContain(`- alert: ${alert}\n`);
    expect(exprs.length).toBeGreaterThanOrEqual(6);
    expect(ruleMetrics.length).toBeGreaterThanOrEqual(6);
  });

  it.each(metricNames(exprs.join('\n')))('rule metric %s is in /metrics', (name) => {
    expect(exposed).toContain(name);
  });

  it.each(
    dashboard.panels.flatMap((p) =>
      p.targets.flatMap((t) => metricNames(t.expr).map((n) => [p.title, n] as const)),
    ),
  )('dashboard panel "%s" metric %s is in /metrics', (_title, name) => {
    expect(exposed).toContain(name);
  });

  it('exposes the certificate end and the last audit checkpoint as Unix times', async () => {
    const text = await (await fetch(`http://${broker.addresses.http}/metrics`)).text();
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    const end = value('cctns_certificate_expiry_timestamp_seconds');
    expect(end * 1000).toBeGreaterThan(Date.now() + 30 * 86_400_000);
    // The broker signs a checkpoint at start after no clean stop; at least it is a number.
    expect(Number.isFinite(value('cctns_audit_checkpoint_timestamp_seconds'))).toBe(true);
    expect(value('cctns_backbone_unapplied')).toBe(0);
  });
});
