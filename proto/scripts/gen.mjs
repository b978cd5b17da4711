#!/usr/bin/env node
// Generates the TypeScript for the .proto files (buf + ts-proto, both from npm), or with --check
// generates into a temporary folder and fails when the committed code differs (stale).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const buf = resolve(root, '..', 'node_modules', '.bin', 'buf');
const check = process.argv.includes('--check');

function files(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else out.push(p);
  }
  return out;
}

execFileSync(buf, ['lint'], { cwd: root, stdio: 'inherit' });
if (!check) {
  rmSync(join(root, 'src', 'gen'), { recursive: true, force: true });
  execFileSync(buf, ['generate'], { cwd: root, stdio: 'inherit' });
  console.log('generated proto/src/gen');
} else {
  const tmp = mkdtempSync(join(tmpdir(), 'cctns-proto-'));
  try {
    execFileSync(buf, ['generate', '--output', tmp], { cwd: root, stdio: 'inherit' });
    const fresh = join(tmp, 'src', 'gen');
    const committed = join(root, 'src', 'gen');
    const a = files(fresh)
      .map((f) => relative(fresh, f))
      .sort();
    const b = files(committed)
      .map((f) => relative(committed, f))
      .sort();
    const stale = [...new Set([...a, ...b])].filter(
      (f) =>
        !a.includes(f) ||
        !b.includes(f) ||
        readFileSync(join(fresh, f), 'utf8') !== readFileSync(join(committed, f), 'utf8'),
    );
    if (stale.length) {
      console.error(
        `generated code is stale: ${stale.join(', ')}\nrun: npm run gen -w @cctns/proto`,
      );
      process.exit(1);
    }
    console.log('generated code is up to date');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
