import { sign, verify, type KeyObject, type X509Certificate } from 'node:crypto';
import forge from 'node-forge';
import { PkiError } from '../errors.js';
import {
  children,
  decodeOid,
  derToPem,
  pemToDer,
  readElement,
  splitSigned,
  type DerElement,
} from './der.js';
import { normalizeSerial } from './certificate.js';
import { RSA_SIGNATURE_HASHES } from './csr.js';

const { asn1, pki, util } = forge;

/** RFC 5280 revocation reasons with their CRLReason codes. */
export const REVOCATION_REASONS = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  privilegeWithdrawn: 9,
} as const;

/** A revocation reason name, e.g. `keyCompromise`. */
export type RevocationReason = keyof typeof REVOCATION_REASONS;

/** True when `s` names a revocation reason. */
export function isRevocationReason(s: string): s is RevocationReason {
  return Object.prototype.hasOwnProperty.call(REVOCATION_REASONS, s);
}

/** One revoked certificate in a CRL. */
export interface RevokedEntry {
  serial: string;
  revokedAt: Date;
  reason: RevocationReason;
}

/** What a CRL is made from. */
export interface CrlSpec {
  issuer: X509Certificate;
  signingKey: KeyObject;
  thisUpdate: Date;
  nextUpdate: Date;
  crlNumber: number;
  entries: RevokedEntry[];
}

const OID_CRL_NUMBER = '2.5.29.20';
const OID_REASON = '2.5.29.21';
const OID_AKI = '2.5.29.35';
const OID_SKI = '2.5.29.14';

function time(date: Date): forge.asn1.Asn1 {
  // RFC 5280: UTCTime through 2049, GeneralizedTime from 2050.
  return date.getUTCFullYear() < 2050
    ? asn1.create(asn1.Class.UNIVERSAL, asn1.Type.UTCTIME, false, asn1.dateToUtcTime(date))
    : asn1.create(
        asn1.Class.UNIVERSAL,
        asn1.Type.GENERALIZEDTIME,
        false,
        asn1.dateToGeneralizedTime(date),
      );
}

function integerBytes(hex: string): string {
  let h = normalizeSerial(hex);
  if (h.length % 2) h = `0${h}`;
  if (parseInt(h.slice(0, 2), 16) >= 0x80) h = `00${h}`;
  return util.hexToBytes(h);
}

function extension(oid: string, value: forge.asn1.Asn1, critical = false): forge.asn1.Asn1 {
  const parts = [
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(oid).getBytes()),
  ];
  if (critical) parts.push(asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BOOLEAN, false, '\xff'));
  parts.push(
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, asn1.toDer(value).getBytes()),
  );
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, parts);
}

/** The raw subject Name and subject key identifier of a certificate. */
function subjectAndKeyId(cert: X509Certificate): { subject: Buffer; keyId?: Buffer } {
  const tbs = children(readElement(cert.raw))[0]!;
  const fields = children(tbs);
  const offset = fields[0]!.tag === 0xa0 ? 1 : 0;
  const subject = fields[offset + 4]!.raw;
  let keyId: Buffer | undefined;
  const extsWrapper = fields.find((f) => f.tag === 0xa3);
  if (extsWrapper) {
    for (const ext of children(children(extsWrapper)[0]!)) {
      const [oid, ...rest] = children(ext);
      if (oid && decodeOid(oid.content) === OID_SKI) {
        keyId = readElement(rest[rest.length - 1]!.content).content;
      }
    }
  }
  return keyId ? { subject, keyId } : { subject };
}

/**
 * Builds an X.509 v2 CRL (RFC 5280) with CRL number, authority key identifier and a reason code
 * per entry, signed by the issuing CA. node-forge has no CRL writer, so the ASN.1 is laid out
 * here with its asn1 module.
 */
export function buildCrl(spec: CrlSpec): { pem: string; der: Buffer } {
  const { subject, keyId } = subjectAndKeyId(spec.issuer);
  const sigAlg = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    asn1.create(
      asn1.Class.UNIVERSAL,
      asn1.Type.OID,
      false,
      asn1.oidToDer(pki.oids['sha256WithRSAEncryption']!).getBytes(),
    ),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, ''),
  ]);
  const tbsParts: forge.asn1.Asn1[] = [
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, '\x01'),
    sigAlg,
    asn1.fromDer(subject.toString('binary')),
    time(spec.thisUpdate),
    time(spec.nextUpdate),
  ];
  if (spec.entries.length > 0) {
    const entries = spec.entries.map((e) =>
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
        asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, integerBytes(e.serial)),
        time(e.revokedAt),
        asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
          extension(
            OID_REASON,
            asn1.create(
              asn1.Class.UNIVERSAL,
              asn1.Type.ENUMERATED,
              false,
              String.fromCharCode(REVOCATION_REASONS[e.reason]),
            ),
          ),
        ]),
      ]),
    );
    tbsParts.push(asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, entries));
  }
  const crlExts: forge.asn1.Asn1[] = [
    extension(
      OID_CRL_NUMBER,
      asn1.create(
        asn1.Class.UNIVERSAL,
        asn1.Type.INTEGER,
        false,
        asn1.integerToDer(spec.crlNumber).getBytes(),
      ),
    ),
  ];
  if (keyId) {
    crlExts.unshift(
      extension(
        OID_AKI,
        asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
          asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, false, keyId.toString('binary')),
        ]),
      ),
    );
  }
  tbsParts.push(
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, crlExts),
    ]),
  );
  const tbs = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, tbsParts);
  const tbsDer = Buffer.from(asn1.toDer(tbs).getBytes(), 'binary');
  const signature = sign('sha256', tbsDer, spec.signingKey);
  const crl = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    tbs,
    sigAlg,
    asn1.create(
      asn1.Class.UNIVERSAL,
      asn1.Type.BITSTRING,
      false,
      `\x00${signature.toString('binary')}`,
    ),
  ]);
  const der = Buffer.from(asn1.toDer(crl).getBytes(), 'binary');
  return { der, pem: derToPem(der, 'X509 CRL') };
}

/** A parsed CRL. */
export interface ParsedCrl {
  issuerName: Buffer;
  thisUpdate: Date;
  nextUpdate?: Date;
  crlNumber?: bigint;
  /** Revoked serials (normalized) with date and reason. */
  revoked: Map<string, { revokedAt: Date; reason: string }>;
  tbs: Buffer;
  algorithmOid: string;
  signature: Buffer;
}

function decodeTime(el: DerElement): Date {
  const s = el.content.toString('latin1');
  let m: RegExpExecArray | null;
  if (el.tag === 0x17 && (m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s))) {
    const yy = Number(m[1]);
    return new Date(
      Date.UTC(
        yy < 50 ? 2000 + yy : 1900 + yy,
        Number(m[2]) - 1,
        Number(m[3]),
        Number(m[4]),
        Number(m[5]),
        Number(m[6]),
      ),
    );
  }
  if (el.tag === 0x18 && (m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s))) {
    return new Date(
      Date.UTC(
        Number(m[1]),
        Number(m[2]) - 1,
        Number(m[3]),
        Number(m[4]),
        Number(m[5]),
        Number(m[6]),
      ),
    );
  }
  throw new Error('CRL: bad time');
}

const REASON_NAMES = new Map<number, string>(
  Object.entries(REVOCATION_REASONS).map(([k, v]) => [v, k]),
);

/** Parses a PEM or DER CRL; throws CRL_INVALID. The signature is not checked here (see `verifyCrl`). */
export function parseCrl(input: string | Buffer): ParsedCrl {
  try {
    const der = typeof input === 'string' ? pemToDer(input, 'X509 CRL') : input;
    const { tbs, algorithmOid, signature } = splitSigned(der);
    const fields = children(readElement(tbs));
    let i = fields[0]?.tag === 0x02 ? 1 : 0;
    i++; // signature algorithm
    const issuerName = fields[i++]!.raw;
    const thisUpdate = decodeTime(fields[i++]!);
    let nextUpdate: Date | undefined;
    if (fields[i] && (fields[i]!.tag === 0x17 || fields[i]!.tag === 0x18))
      nextUpdate = decodeTime(fields[i++]!);
    const revoked = new Map<string, { revokedAt: Date; reason: string }>();
    if (fields[i] && fields[i]!.tag === 0x30) {
      for (const entry of children(fields[i++]!)) {
        const [serialEl, timeEl, extsEl] = children(entry);
        let reason = 'unspecified';
        for (const ext of extsEl ? children(extsEl) : []) {
          const [oid, ...rest] = children(ext);
          if (oid && decodeOid(oid.content) === OID_REASON) {
            reason =
              REASON_NAMES.get(readElement(rest[rest.length - 1]!.content).content[0]!) ??
              'unspecified';
          }
        }
        revoked.set(normalizeSerial(serialEl!.content.toString('hex')), {
          revokedAt: decodeTime(timeEl!),
          reason,
        });
      }
    }
    let crlNumber: bigint | undefined;
    if (fields[i] && fields[i]!.tag === 0xa0) {
      for (const ext of children(children(fields[i]!)[0]!)) {
        const [oid, ...rest] = children(ext);
        if (oid && decodeOid(oid.content) === OID_CRL_NUMBER) {
          crlNumber = BigInt(
            `0x${readElement(rest[rest.length - 1]!.content).content.toString('hex')}`,
          );
        }
      }
    }
    return {
      issuerName,
      thisUpdate,
      ...(nextUpdate ? { nextUpdate } : {}),
      ...(crlNumber !== undefined ? { crlNumber } : {}),
      revoked,
      tbs,
      algorithmOid,
      signature,
    };
  } catch (cause) {
    throw new PkiError('CRL_INVALID', 'the CRL cannot be parsed', { cause });
  }
}

/** Checks that `crl` was issued and signed by `issuer`; throws CRL_INVALID. */
export function verifyCrl(crl: ParsedCrl, issuer: X509Certificate): void {
  const { subject } = subjectAndKeyId(issuer);
  if (!subject.equals(crl.issuerName))
    throw new PkiError('CRL_INVALID', 'the CRL names another issuer');
  const hash = RSA_SIGNATURE_HASHES[crl.algorithmOid];
  if (!hash || !verify(hash, crl.tbs, issuer.publicKey, crl.signature)) {
    throw new PkiError('CRL_INVALID', "the CRL's signature does not verify against its CA");
  }
}
