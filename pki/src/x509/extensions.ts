import type { X509Certificate } from 'node:crypto';
import { children, decodeOid, readElement } from './der.js';

/** The extensions of a certificate that verification looks at. */
export interface CertificateExtensions {
  isCa: boolean;
  keyUsage:
    | {
        digitalSignature: boolean;
        keyEncipherment: boolean;
        keyCertSign: boolean;
        cRLSign: boolean;
      }
    | undefined;
  extKeyUsage: string[] | undefined;
  /** OIDs of critical extensions, to refuse ones we do not understand. */
  critical: string[];
}

/** Reads basic constraints, key usage and extended key usage straight from the DER (any key type). */
export function readExtensions(cert: X509Certificate): CertificateExtensions {
  const tbs = children(readElement(cert.raw))[0]!;
  const wrapper = children(tbs).find((f) => f.tag === 0xa3);
  const out: CertificateExtensions = {
    isCa: false,
    keyUsage: undefined,
    extKeyUsage: undefined,
    critical: [],
  };
  if (!wrapper) return out;
  for (const ext of children(children(wrapper)[0]!)) {
    const parts = children(ext);
    const oid = decodeOid(parts[0]!.content);
    const critical = parts.length === 3 && parts[1]!.tag === 0x01 && parts[1]!.content[0] !== 0;
    if (critical) out.critical.push(oid);
    const value = readElement(parts[parts.length - 1]!.content);
    if (oid === '2.5.29.19') {
      const bc = children(value);
      out.isCa = bc[0]?.tag === 0x01 && bc[0].content[0] !== 0;
    } else if (oid === '2.5.29.15') {
      const bits = value.content[1] ?? 0;
      out.keyUsage = {
        digitalSignature: (bits & 0x80) !== 0,
        keyEncipherment: (bits & 0x20) !== 0,
        keyCertSign: (bits & 0x04) !== 0,
        cRLSign: (bits & 0x02) !== 0,
      };
    } else if (oid === '2.5.29.37') {
      out.extKeyUsage = children(value).map((e) => decodeOid(e.content));
    }
  }
  return out;
}

/** Critical extensions a verifier of this PKI understands. */
export const KNOWN_CRITICAL = new Set([
  '2.5.29.19',
  '2.5.29.15',
  '2.5.29.37',
  '2.5.29.17',
  '2.5.29.30',
]);
