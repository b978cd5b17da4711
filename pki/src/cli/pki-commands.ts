import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { pino } from 'pino';
import { Pki } from '../authority/authority.js';
import { createRenewalRequest } from '../authority/renewal.js';
import { parseDuration } from '../authority/tokens.js';
import { PkiError } from '../errors.js';
import {
  issuerFor,
  parseIdentity,
  parseSpiffeUri,
  parseTrustDomain,
} from '../identity/identity.js';
import { STATE_CODES } from '../identity/states.js';
import {
  DEFAULT_KEY_BITS,
  generateRsaKeyPair,
  loadPrivateKey,
  privateKeyToPem,
  readTextFile,
  writePublicFile,
  writeSecretFile,
} from '../keys/keys.js';
import { TrustStore } from '../verify/trust-store.js';
import { certificateUris } from '../x509/certificate.js';
import { REVOCATION_REASONS } from '../x509/crl.js';
import { createCsr } from '../x509/csr.js';
import { pemBlocks } from '../x509/der.js';
import { DEFAULT_LIFETIME_DAYS } from '../x509/profiles.js';
import { caPassphrase, collect, intOption, outputOf, when } from './support.js';

/** Default PKI directory: `$CCTNS_PKI_DIR`, else `./data/pki`. */
export function defaultPkiDir(): string {
  return process.env['CCTNS_PKI_DIR'] ?? join('data', 'pki');
}

function openPki(cmd: Command): Pki {
  const opts = cmd.optsWithGlobals() as { pkiDir: string; logLevel: string };
  return Pki.open(resolve(opts.pkiDir), {
    logger: pino({ level: opts.logLevel }, pino.destination(2)),
  });
}

/** The identities of a stations CSV (header row with an `identity` column), with their lines. */
export function stationsCsv(text: string, file: string): Array<{ line: number; identity: string }> {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '')
    .split(',')
    .map((h) => h.trim().replace(/^"|"$/g, '').toLowerCase());
  const col = header.indexOf('identity');
  if (col < 0)
    throw new PkiError('INPUT_INVALID', `${file}: the header row has no identity column`);
  const rows: Array<{ line: number; identity: string }> = [];
  const seen = new Set<string>();
  lines.slice(1).forEach((l, i) => {
    if (!l.trim()) return;
    const line = i + 2;
    const identity = (l.split(',')[col] ?? '').trim().replace(/^"|"$/g, '');
    try {
      parseIdentity(identity);
    } catch (err) {
      throw new PkiError('INPUT_INVALID', `${file} line ${line}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    if (seen.has(identity))
      throw new PkiError('INPUT_INVALID', `${file} line ${line}: ${identity} appears twice`);
    seen.add(identity);
    rows.push({ line, identity });
  });
  return rows;
}

/**
 * `pki token --csv`: one token file per station. Every identity is checked before any token is
 * made, and a token file that exists is not replaced (its token may be in use).
 */
async function bulkTokens(
  cmd: Command,
  opts: { ca: string; csv: string; out: string; ttl: string },
): Promise<void> {
  const out = outputOf(cmd);
  const rows = stationsCsv(readTextFile(opts.csv, 'the stations CSV'), opts.csv);
  const dir = resolve(opts.out);
  const fileOf = (identity: string) => join(dir, `${identity.replace(/\//g, '_')}.token`);
  const taken = rows.filter((r) => existsSync(fileOf(r.identity)));
  if (taken.length)
    throw new PkiError(
      'ALREADY_EXISTS',
      `${taken.length} token file(s) already exist in ${dir}, e.g. ${fileOf(taken[0]!.identity)}; use another --out`,
    );
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  await withPki(cmd, async (pki) => {
    const ca = pki.unlockCa(opts.ca, await caPassphrase(opts.ca));
    const ttlSeconds = parseDuration(opts.ttl);
    let expiresAt: Date | undefined;
    const every = Math.max(1, Math.floor(rows.length / 20));
    for (const [i, r] of rows.entries()) {
      const t = await ca.createToken(r.identity, { ttlSeconds });
      writeSecretFile(fileOf(r.identity), `${t.token}\n`);
      expiresAt = t.expiresAt;
      // Progress goes to stderr whatever --json says: stdout carries only the summary.
      if ((i + 1) % every === 0 || i + 1 === rows.length)
        process.stderr.write(`tokens ${i + 1}/${rows.length} (${r.identity})\n`);
    }
    out.result(
      [
        `${rows.length} token${rows.length === 1 ? '' : 's'} for CA ${opts.ca} written to ${dir} (0600, single use${expiresAt ? `, expire ${when(expiresAt)}` : ''})`,
        `Each station: cctns agent enroll --broker HOST:PORT --root root.pem --token-file <identity with _>.token`,
      ].join('\n'),
      {
        ca: opts.ca,
        out: dir,
        count: rows.length,
        expiresAt: expiresAt?.toISOString() ?? null,
        tokens: rows.map((r) => ({ identity: r.identity, file: fileOf(r.identity) })),
      },
    );
  });
}

function withPki<T>(cmd: Command, fn: (pki: Pki) => Promise<T> | T): Promise<T> {
  const pki = openPki(cmd);
  return Promise.resolve()
    .then(() => fn(pki))
    .finally(() => pki.close());
}

function identityOfChain(chainPem: string): string {
  const der = pemBlocks(chainPem, 'CERTIFICATE')[0];
  if (!der) throw new PkiError('CERT_INVALID', 'no certificate in the file');
  const uri = certificateUris(new X509Certificate(der)).find((u) => u.startsWith('spiffe://'));
  if (!uri) throw new PkiError('CERT_INVALID', 'the certificate carries no spiffe identity');
  return parseSpiffeUri(uri).path;
}

/** Registers `cctns pki …` on the umbrella program. */
export function registerPkiCommands(program: Command): Command {
  const pkiCmd = program
    .command('pki')
    .description(
      'certificate authority: root and issuing CAs, enrollment, issuance, renewal, revocation, verification',
    )
    .addOption(
      new Option('--pki-dir <dir>', 'PKI directory').env('CCTNS_PKI_DIR').default(defaultPkiDir()),
    )
    .addOption(
      new Option('--log-level <level>', 'service log level (to stderr)')
        .choices(['silent', 'error', 'warn', 'info', 'debug'])
        .default('error'),
    );

  pkiCmd
    .command('init-root')
    .description(
      'create the national root CA of a trust domain (key encrypted with the root passphrase, 0600)',
    )
    .option('--trust-domain <domain>', 'trust domain of the deployment', 'cctns.local')
    .option('--key-bits <n>', 'RSA key size', intOption('--key-bits'), DEFAULT_KEY_BITS.root)
    .option('--days <n>', 'lifetime in days', intOption('--days'), DEFAULT_LIFETIME_DAYS.root)
    .action(async (opts: { trustDomain: string; keyBits: number; days: number }, cmd: Command) => {
      const out = outputOf(cmd);
      const dir = resolve(cmd.optsWithGlobals().pkiDir as string);
      parseTrustDomain(opts.trustDomain);
      const passphrase = await caPassphrase('ROOT', { confirm: true });
      out.note(`Generating a ${opts.keyBits}-bit root key...`);
      const pki = await Pki.initRoot(dir, {
        trustDomain: opts.trustDomain,
        passphrase,
        keyBits: opts.keyBits,
        days: opts.days,
      });
      try {
        const cert = pki.root;
        out.result(
          [
            `Root CA created for trust domain ${pki.trustDomain}`,
            `  directory:   ${dir}`,
            `  certificate: ${join(dir, 'root', 'ca.crt.pem')}`,
            `  SHA-256:     ${cert.fingerprint256}`,
            `  valid until: ${when(new Date(cert.validTo))}`,
            `Next: cctns pki init-ca --name <STATE|CENTRAL>`,
          ].join('\n'),
          {
            trustDomain: pki.trustDomain,
            dir,
            certificate: join(dir, 'root', 'ca.crt.pem'),
            fingerprint256: cert.fingerprint256,
            notAfter: new Date(cert.validTo).toISOString(),
          },
        );
      } finally {
        pki.close();
      }
    });

  pkiCmd
    .command('init-ca')
    .description(
      'create the issuing CA of a State/UT (MH, KA, ...) or CENTRAL (agencies and national identities)',
    )
    .requiredOption(
      '--name <name>',
      `CA name: CENTRAL or a State/UT code (${STATE_CODES.join(' ')})`,
    )
    .option('--key-bits <n>', 'RSA key size', intOption('--key-bits'), DEFAULT_KEY_BITS.ca)
    .option('--days <n>', 'lifetime in days', intOption('--days'), DEFAULT_LIFETIME_DAYS.ca)
    .action(async (opts: { name: string; keyBits: number; days: number }, cmd: Command) => {
      const out = outputOf(cmd);
      await withPki(cmd, async (pki) => {
        const rootPassphrase = await caPassphrase('ROOT');
        const passphrase = await caPassphrase(opts.name, { confirm: true });
        out.note(`Generating a ${opts.keyBits}-bit key for CA ${opts.name}...`);
        const cert = await pki.initCa(opts.name, {
          rootPassphrase,
          passphrase,
          keyBits: opts.keyBits,
          days: opts.days,
        });
        const path = join(pki.dir, 'ca', opts.name, 'ca.crt.pem');
        out.result(
          [
            `Issuing CA ${opts.name} created`,
            `  certificate: ${path}`,
            `  SHA-256:     ${cert.fingerprint256}`,
            `  valid until: ${when(new Date(cert.validTo))}`,
          ].join('\n'),
          {
            name: opts.name,
            certificate: path,
            fingerprint256: cert.fingerprint256,
            notAfter: new Date(cert.validTo).toISOString(),
          },
        );
      });
    });

  pkiCmd
    .command('token')
    .description(
      'print a one-time enrollment token for one identity (a JWT signed by the CA provisioner), or write one file per station of a CSV',
    )
    .requiredOption('--ca <name>', 'issuing CA')
    .option('--identity <identity>', 'e.g. station/MH/PUNE/PS042')
    .option('--csv <file>', 'stations to enroll: a CSV with an identity column (header row)')
    .option('--out <dir>', 'with --csv: folder for the token files (<identity with _>.token, 0600)')
    .option('--ttl <duration>', 'lifetime, e.g. 15m, 2h, 7d', '15m')
    .option('--dns <name>', 'DNS name for a broker certificate (repeatable)', collect, [])
    .option('--ip <address>', 'IP address for a broker certificate (repeatable)', collect, [])
    .action(
      async (
        opts: {
          ca: string;
          identity?: string;
          csv?: string;
          out?: string;
          ttl: string;
          dns: string[];
          ip: string[];
        },
        cmd: Command,
      ) => {
        const out = outputOf(cmd);
        if ((opts.identity === undefined) === (opts.csv === undefined))
          throw new PkiError('INPUT_INVALID', 'give either --identity or --csv (with --out)');
        if (opts.csv !== undefined) {
          if (opts.out === undefined)
            throw new PkiError(
              'INPUT_INVALID',
              '--csv needs --out, the folder for the token files',
            );
          return bulkTokens(cmd, { ...opts, csv: opts.csv, out: opts.out });
        }
        const identity = opts.identity!;
        await withPki(cmd, async (pki) => {
          const ca = pki.unlockCa(opts.ca, await caPassphrase(opts.ca));
          const t = await ca.createToken(identity, {
            ttlSeconds: parseDuration(opts.ttl),
            dns: opts.dns,
            ip: opts.ip,
          });
          out.note(`Token for ${identity}, single use, expires ${when(t.expiresAt)}`);
          out.result(t.token, {
            token: t.token,
            jti: t.jti,
            identity,
            ca: opts.ca,
            expiresAt: t.expiresAt.toISOString(),
          });
        });
      },
    );

  pkiCmd
    .command('request')
    .description('make a private key (0600) and a CSR where the key will live')
    .requiredOption('--identity <identity>', 'e.g. station/MH/PUNE/PS042')
    .requiredOption('--out <dir>', 'directory for key.pem and csr.pem')
    .addOption(
      new Option('--trust-domain <domain>', 'trust domain')
        .env('CCTNS_TRUST_DOMAIN')
        .default('cctns.local'),
    )
    .option('--key-bits <n>', 'RSA key size', intOption('--key-bits'), DEFAULT_KEY_BITS.leaf)
    .action(
      async (
        opts: { identity: string; out: string; trustDomain: string; keyBits: number },
        cmd: Command,
      ) => {
        const out = outputOf(cmd);
        parseIdentity(opts.identity);
        parseTrustDomain(opts.trustDomain);
        const dir = resolve(opts.out);
        const keyPath = join(dir, 'key.pem');
        const csrPath = join(dir, 'csr.pem');
        if (existsSync(keyPath))
          throw new PkiError(
            'ALREADY_EXISTS',
            `${keyPath} already exists; refusing to replace a key`,
          );
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        const keys = await generateRsaKeyPair(opts.keyBits);
        writeSecretFile(keyPath, privateKeyToPem(keys.privateKey));
        writePublicFile(csrPath, createCsr(opts.identity, opts.trustDomain, keys));
        out.result(`Key written to ${keyPath} (0600)\nCSR written to ${csrPath}`, {
          identity: opts.identity,
          key: keyPath,
          csr: csrPath,
        });
      },
    );

  pkiCmd
    .command('issue')
    .description('issue a certificate for a CSR presented with a one-time enrollment token')
    .requiredOption('--ca <name>', 'issuing CA')
    .requiredOption('--csr <file>', 'the CSR (PEM)')
    .option('--token <token>', 'the enrollment token')
    .option('--token-file <file>', 'read the token from a file instead')
    .requiredOption('--out <file>', 'where to write the certificate chain (leaf, then issuing CA)')
    .option('--days <n>', 'lifetime in days', intOption('--days'), DEFAULT_LIFETIME_DAYS.leaf)
    .action(
      async (
        opts: {
          ca: string;
          csr: string;
          token?: string;
          tokenFile?: string;
          out: string;
          days: number;
        },
        cmd: Command,
      ) => {
        const out = outputOf(cmd);
        const token =
          opts.token ??
          (opts.tokenFile ? readTextFile(opts.tokenFile, 'the token file').trim() : undefined);
        if (!token)
          throw new PkiError(
            'INPUT_INVALID',
            'give the enrollment token with --token or --token-file',
          );
        const csrPem = readTextFile(opts.csr, 'the CSR');
        await withPki(cmd, async (pki) => {
          const ca = pki.unlockCa(opts.ca, await caPassphrase(opts.ca));
          const issued = await ca.issue({ csrPem, token, days: opts.days });
          writePublicFile(resolve(opts.out), issued.chainPem);
          out.result(
            [
              `Issued ${issued.identity}`,
              `  serial:       ${issued.serial}`,
              `  valid until:  ${when(issued.notAfter)}`,
              `  renew after:  ${when(issued.renewAfter)}`,
              `  written to:   ${resolve(opts.out)}`,
            ].join('\n'),
            {
              identity: issued.identity,
              ca: issued.ca,
              serial: issued.serial,
              notBefore: issued.notBefore.toISOString(),
              notAfter: issued.notAfter.toISOString(),
              renewAfter: issued.renewAfter.toISOString(),
              out: resolve(opts.out),
            },
          );
        });
      },
    );

  pkiCmd
    .command('renew')
    .description(
      'renew a valid certificate without a token, proving possession of its key (same key or --new-key)',
    )
    .requiredOption('--cert <file>', 'current certificate chain')
    .requiredOption('--key <file>', 'current private key')
    .option('--new-key', 'make a new key as well (replaces --key on success)')
    .option(
      '--key-bits <n>',
      'RSA size of a new key',
      intOption('--key-bits'),
      DEFAULT_KEY_BITS.leaf,
    )
    .option('--out <file>', 'where to write the new chain (default: replace --cert)')
    .option('--days <n>', 'lifetime in days', intOption('--days'), DEFAULT_LIFETIME_DAYS.leaf)
    .action(
      async (
        opts: {
          cert: string;
          key: string;
          newKey?: boolean;
          keyBits: number;
          out?: string;
          days: number;
        },
        cmd: Command,
      ) => {
        const out = outputOf(cmd);
        const chainPem = readTextFile(opts.cert, 'the certificate');
        const keys = loadPrivateKey(
          readTextFile(opts.key, 'the private key'),
          process.env['CCTNS_KEY_PASSPHRASE'],
          'the private key',
        );
        const newKeys = opts.newKey ? await generateRsaKeyPair(opts.keyBits) : undefined;
        const caName = issuerFor(parseIdentity(identityOfChain(chainPem)));
        await withPki(cmd, async (pki) => {
          const ca = pki.unlockCa(caName, await caPassphrase(caName));
          const request = await createRenewalRequest({
            chainPem,
            keys,
            ...(newKeys ? { newKeys } : {}),
            now: pki.clock(),
          });
          const issued = await ca.renew({ ...request, days: opts.days });
          const target = resolve(opts.out ?? opts.cert);
          if (newKeys)
            writeSecretFile(resolve(opts.key), privateKeyToPem(newKeys.privateKey), {
              overwrite: true,
            });
          writePublicFile(target, issued.chainPem);
          out.result(
            [
              `Renewed ${issued.identity}${newKeys ? ' with a new key' : ''}`,
              `  serial:       ${issued.serial}`,
              `  valid until:  ${when(issued.notAfter)}`,
              `  written to:   ${target}`,
            ].join('\n'),
            {
              identity: issued.identity,
              serial: issued.serial,
              newKey: Boolean(newKeys),
              notAfter: issued.notAfter.toISOString(),
              renewAfter: issued.renewAfter.toISOString(),
              out: target,
            },
          );
        });
      },
    );

  pkiCmd
    .command('revoke')
    .description('revoke a certificate by serial')
    .requiredOption('--ca <name>', 'issuing CA')
    .requiredOption('--serial <hex>', 'certificate serial (hex, colons allowed)')
    .addOption(
      new Option('--reason <reason>', 'RFC 5280 reason')
        .choices(Object.keys(REVOCATION_REASONS))
        .default('unspecified'),
    )
    .action(async (opts: { ca: string; serial: string; reason: string }, cmd: Command) => {
      const out = outputOf(cmd);
      await withPki(cmd, async (pki) => {
        const ca = pki.unlockCa(opts.ca, await caPassphrase(opts.ca));
        const rec = ca.revoke(opts.serial, opts.reason);
        out.result(
          `Revoked ${rec.serial} (${rec.identity}), reason ${rec.reason}. Publish a new CRL: cctns pki crl --ca ${opts.ca} --out FILE`,
          {
            serial: rec.serial,
            identity: rec.identity,
            reason: rec.reason,
            revokedAt: rec.revokedAt?.toISOString(),
          },
        );
      });
    });

  pkiCmd
    .command('crl')
    .description('sign and write the X.509 CRL of an issuing CA')
    .requiredOption('--ca <name>', 'issuing CA')
    .requiredOption('--out <file>', 'where to write the CRL (PEM)')
    .option('--days <n>', 'days until nextUpdate', intOption('--days'), 7)
    .action(async (opts: { ca: string; out: string; days: number }, cmd: Command) => {
      const out = outputOf(cmd);
      await withPki(cmd, async (pki) => {
        const ca = pki.unlockCa(opts.ca, await caPassphrase(opts.ca));
        const crl = ca.crl({ days: opts.days });
        writePublicFile(resolve(opts.out), crl.pem);
        out.result(
          `CRL #${crl.number} of CA ${opts.ca}: ${crl.entries} revoked, next update ${when(crl.nextUpdate)}, written to ${resolve(opts.out)}`,
          {
            ca: opts.ca,
            number: crl.number,
            entries: crl.entries,
            thisUpdate: crl.thisUpdate.toISOString(),
            nextUpdate: crl.nextUpdate.toISOString(),
            out: resolve(opts.out),
          },
        );
      });
    });

  pkiCmd
    .command('verify')
    .description(
      "verify a certificate chain: signatures to the root, dates, usage, the issuing CA of the identity's state, revocation",
    )
    .requiredOption('--cert <file>', 'certificate chain (leaf first)')
    .option('--root <file>', 'trust this root instead of the PKI directory (an outside verifier)')
    .option(
      '--crl <file>',
      'CRL to check revocation against (repeatable; with --root)',
      collect,
      [],
    )
    .option('--trust-domain <domain>', 'trust domain (with --root)', 'cctns.local')
    .option('--at <time>', 'verify at this ISO time instead of now')
    .action(
      async (
        opts: { cert: string; root?: string; crl: string[]; trustDomain: string; at?: string },
        cmd: Command,
      ) => {
        const out = outputOf(cmd);
        const chainPem = readTextFile(opts.cert, 'the certificate');
        const at = opts.at ? new Date(opts.at) : new Date();
        if (Number.isNaN(at.getTime()))
          throw new PkiError(
            'INPUT_INVALID',
            `--at must be an ISO time, not ${JSON.stringify(opts.at)}`,
          );
        const check = (trust: TrustStore) => {
          const v = trust.verify(chainPem, { at });
          out.result(
            [
              `OK ${v.identityString}`,
              `  issuing CA:  ${v.ca}`,
              `  serial:      ${v.serial}`,
              `  valid until: ${when(v.notAfter)}`,
            ].join('\n'),
            {
              ok: true,
              identity: v.identityString,
              kind: v.kind,
              ca: v.ca,
              serial: v.serial,
              notBefore: v.notBefore.toISOString(),
              notAfter: v.notAfter.toISOString(),
              fingerprint: v.fingerprint,
            },
          );
        };
        if (opts.root) {
          const intermediates = pemBlocks(chainPem, 'CERTIFICATE').slice(1);
          const trust = new TrustStore({
            trustDomain: opts.trustDomain,
            root: readTextFile(opts.root, 'the root certificate'),
            cas: intermediates,
          });
          for (const f of opts.crl) trust.addCrl(readTextFile(f, 'the CRL'));
          check(trust);
        } else {
          await withPki(cmd, (pki) => check(pki.trustStore()));
        }
      },
    );

  pkiCmd
    .command('list')
    .description('list issued certificates, newest first')
    .option('--ca <name>', 'only this CA')
    .option('--identity <identity>', 'only this identity')
    .option('--limit <n>', 'at most this many', intOption('--limit'), 50)
    .action(async (opts: { ca?: string; identity?: string; limit: number }, cmd: Command) => {
      const out = outputOf(cmd);
      await withPki(cmd, (pki) => {
        const rows = pki.store.certificates({
          ...(opts.ca ? { ca: opts.ca } : {}),
          ...(opts.identity ? { identity: opts.identity } : {}),
          limit: opts.limit,
        });
        const lines = rows.map(
          (r) =>
            `${r.serial}  ${r.ca.padEnd(7)} ${r.identity.padEnd(40)} until ${when(r.notAfter)}${r.revokedAt ? `  REVOKED (${r.reason})` : ''}`,
        );
        out.result(
          lines.length ? lines.join('\n') : 'No certificates.',
          rows.map(({ pem: _pem, ...r }) => r),
        );
      });
    });

  const logCmd = pkiCmd.command('log').description('the hash-chained issuance log');
  logCmd
    .command('verify')
    .description('check that no log entry was edited, inserted or deleted (exit 8 if one was)')
    .action(async (_opts: unknown, cmd: Command) => {
      const out = outputOf(cmd);
      await withPki(cmd, (pki) => {
        const report = pki.verifyLog();
        const problems = [
          ...report.problems.map((p) => p.message),
          ...report.unlogged.map((u) => `no log entry for ${u}`),
        ];
        out.result(
          report.ok
            ? `Issuance log OK: ${report.entries} entries, head ${report.head}`
            : `Issuance log TAMPERED:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
          {
            ok: report.ok,
            entries: report.entries,
            head: report.head,
            problems: report.problems,
            unlogged: report.unlogged,
          },
        );
        if (!report.ok)
          throw new PkiError(
            'LOG_TAMPERED',
            `the issuance log fails verification (${problems.length} problem(s))`,
          );
      });
    });
  logCmd
    .command('show')
    .description('print the last entries of the issuance log')
    .option('--limit <n>', 'how many entries', intOption('--limit'), 20)
    .action(async (opts: { limit: number }, cmd: Command) => {
      const out = outputOf(cmd);
      await withPki(cmd, (pki) => {
        const entries = pki.store.entries(opts.limit);
        out.result(
          entries
            .map((e) =>
              `${String(e.seq).padStart(6)} ${e.body.at} ${e.body.event.padEnd(8)} ${e.body.ca ?? ''} ${e.body.identity ?? ''} ${e.body.serial ?? ''} ${e.body.detail ? JSON.stringify(e.body.detail) : ''}`.trimEnd(),
            )
            .join('\n') || 'The log is empty.',
          entries,
        );
      });
    });

  return pkiCmd;
}
