import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCsr, generateRsaKeyPair, Pki, privateKeyToPem, type StateCode } from '@cctns/pki';
import { makePki, provision, TEST_PASSPHRASE } from '../support/network.js';
import { note, nowMs, progress } from './report.js';
import type { BenchStation } from './national-states.js';

/** The station certificates of the national benchmark, as the link holders read them. */
export interface StationCerts {
  root: string;
  /** Issuing CA certificate per state: a station presents its leaf followed by it. */
  cas: Record<string, string>;
  /** PEM private keys of the pool; each station names one by index. */
  keys: string[];
  stations: Array<BenchStation & { key: number; leaf: string }>;
}

/** What a cached national network holds: paths inside the cache folder. */
export interface NationalPki {
  dir: string;
  pkiDir: string;
  /** JSON file of `StationCerts`. */
  stationsFile: string;
  /** Holder folder (root.pem, key.pem, cert.pem) per broker identity home: `national`, `UP`, … */
  brokerDir: (home: string) => string;
  /** Holder folders of the national HQ operator, the second duty officer who approves, and the ingest receiver. */
  hqDir: string;
  approverDir: string;
  receiverDir: string;
  receiverId: string;
  /** Seconds spent making it (0 when the cache was used). */
  seconds: number;
}

/** Identity of the national HQ operator who broadcasts. */
export const HQ_ID = 'hq/national/duty1';
/** Identity of the second duty officer who approves its national broadcasts. */
export const APPROVER_ID = 'hq/national/duty2';
/** RSA keys shared by the station certificates (see `nationalPki`). */
export const KEY_POOL = 128;
/** A cache older than this is rebuilt: leaves live 90 days. */
const MAX_AGE_DAYS = 30;

/**
 * The PKI of the national network: a root and one CA per state plus CENTRAL (2048-bit, for
 * speed), a certificate per station from a pool of keys, certificates for every broker, the HQ
 * operator and the ingest receiver. Issuing 17,712 certificates takes a minute or more, so it is
 * cached in the temporary folder under a key made of the parameters, and reused while fresh.
 *
 * Keys come from a pool: making 17,712 RSA keys would take far longer than the benchmark; each
 * station still has its own certificate binding its identity, and neither the CA nor the TLS
 * handshake cares which key a certificate carries.
 */
export async function nationalPki(
  stations: BenchStation[],
  states: readonly StateCode[],
  p3State: StateCode,
): Promise<NationalPki> {
  const key = createHash('sha256')
    .update(JSON.stringify({ v: 1, n: stations.length, states, p3State, KEY_POOL }))
    .digest('hex')
    .slice(0, 12);
  const dir = join(tmpdir(), `cctns-national-cache-${key}`);
  const receiverId = `station/${p3State}/BENCH/RX0001`;
  const out: NationalPki = {
    dir,
    pkiDir: join(dir, 'pki'),
    stationsFile: join(dir, 'stations.json'),
    brokerDir: (home) => join(dir, 'brokers', home),
    hqDir: join(dir, 'holders', 'hq'),
    approverDir: join(dir, 'holders', 'approver'),
    receiverDir: join(dir, 'holders', 'receiver'),
    receiverId,
    seconds: 0,
  };
  const marker = join(dir, 'complete.json');
  if (existsSync(marker)) {
    const made = (JSON.parse(readFileSync(marker, 'utf8')) as { at: string }).at;
    if (Date.now() - Date.parse(made) < MAX_AGE_DAYS * 86_400_000) {
      note('national', `PKI and ${stations.length} certificates from the cache ${dir}`);
      // Caches made before national broadcasts needed a second officer lack the approver.
      if (!existsSync(join(out.approverDir, 'cert.pem'))) {
        const pki = Pki.open(out.pkiDir);
        try {
          await provision(
            pki,
            pki.unlockCa('CENTRAL', TEST_PASSPHRASE),
            APPROVER_ID,
            out.approverDir,
          );
        } finally {
          pki.close();
        }
      }
      return out;
    }
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const t0 = nowMs();
  const { pki, cas } = await makePki(dir, [...states, 'CENTRAL']);
  try {
    // Generated concurrently: the work runs on libuv's thread pool, so both cores take part.
    const pairs = await Promise.all(
      Array.from({ length: KEY_POOL }, () => generateRsaKeyPair(2048)),
    );
    const certs: StationCerts = {
      root: pki.root.toString(),
      cas: Object.fromEntries(states.map((s) => [s, cas.get(s)!.certificate.toString()])),
      keys: pairs.map((p) => privateKeyToPem(p.privateKey)),
      stations: [],
    };
    note('national', `issuing ${stations.length} station certificates (cached afterwards)`);
    for (const [i, s] of stations.entries()) {
      const ca = cas.get(s.state)!;
      const keyIndex = i % KEY_POOL;
      const { token } = await ca.createToken(s.identity);
      const issued = await ca.issue({
        csrPem: createCsr(s.identity, pki.trustDomain, pairs[keyIndex]!),
        token,
      });
      certs.stations.push({ ...s, key: keyIndex, leaf: issued.certificatePem });
      progress('national', i + 1, stations.length);
    }
    writeFileSync(out.stationsFile, JSON.stringify(certs));
    for (const home of ['national', ...states])
      await provision(
        pki,
        cas.get(home === 'national' ? 'CENTRAL' : home)!,
        `broker/${home}`,
        out.brokerDir(home),
      );
    await provision(pki, cas.get('CENTRAL')!, HQ_ID, out.hqDir);
    await provision(pki, cas.get('CENTRAL')!, APPROVER_ID, out.approverDir);
    await provision(pki, cas.get(p3State)!, receiverId, out.receiverDir);
  } finally {
    pki.close();
  }
  out.seconds = (nowMs() - t0) / 1000;
  writeFileSync(marker, JSON.stringify({ at: new Date().toISOString(), seconds: out.seconds }));
  return out;
}
