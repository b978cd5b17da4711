import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { status } from '@grpc/grpc-js';
import { BROKER_ERRORS } from '@cctns/broker';
import { EXIT, PKI_ERROR_CODES } from '@cctns/pki';
import { AGENT_ERROR_CODES } from '@cctns/station-agent';
import { CONSOLE_ERROR_CODES } from '@cctns/hq-console';
import { describe, expect, it } from 'vitest';

// The README is the front door: every error code a user can meet is documented there.
const readme = readFileSync(resolve(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
const row = (...cells: Array<string | number>) =>
  new RegExp(
    `\\|\\s*${cells.map((c) => String(c).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('\\s*\\|\\s*')}\\s*\\|`,
  );

describe('README', () => {
  it.each(Object.entries(PKI_ERROR_CODES))(
    'documents PKI error %s with its exit code',
    (code, { exit }) => {
      expect(readme).toMatch(row(`\`${code}\``, exit));
    },
  );

  it.each(Object.entries(BROKER_ERRORS))(
    'documents broker refusal %s with its gRPC status and exit code',
    (code, { grpc, exit }) => {
      expect(readme).toMatch(row(`\`${code}\``, status[grpc], exit));
    },
  );

  it.each(Object.entries(AGENT_ERROR_CODES))(
    'documents agent error %s with its exit code',
    (code, { exit }) => {
      expect(readme).toMatch(row(`\`${code}\``, exit));
    },
  );

  it.each(Object.entries(CONSOLE_ERROR_CODES))(
    'documents console error %s with its exit code',
    (code, { exit }) => {
      expect(readme).toMatch(row(`\`${code}\``, exit));
    },
  );

  it.each(Object.values(EXIT))('documents exit code %i', (exit) => {
    expect(readme).toMatch(new RegExp(`\\n\\|\\s*${exit}\\s*\\|`));
  });

  it('gives the test command that .ci/run runs', () => {
    const ci = readFileSync(resolve(import.meta.dirname, '..', '..', '.ci', 'run'), 'utf8');
    expect(readme).toContain('npm ci && npm test');
    expect(ci).toMatch(/^npm test$/m);
  });
});
