import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { EXIT, PKI_ERROR_CODES } from '@cctns/pki';
import { describe, expect, it } from 'vitest';

const readme = readFileSync(resolve(import.meta.dirname, '..', '..', 'README.md'), 'utf8');

describe('README', () => {
  it.each(Object.entries(PKI_ERROR_CODES))(
    'documents error code %s with its exit code',
    (code, { exit }) => {
      expect(readme).toMatch(new RegExp(`\\| \`${code}\` \\| ${exit} \\|`));
    },
  );

  it.each(Object.values(EXIT))('documents exit code %i', (exit) => {
    expect(readme).toMatch(new RegExp(`\\n\\| ${exit} \\| `));
  });

  it('gives the test command that .ci/run runs', () => {
    const ci = readFileSync(resolve(import.meta.dirname, '..', '..', '.ci', 'run'), 'utf8');
    expect(readme).toContain('npm test');
    expect(ci).toMatch(/^npm test$/m);
  });
});
