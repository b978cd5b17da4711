/**
 * A minimal DER reader that returns exact byte slices. Signatures are checked over the bytes
 * as received (a TBSCertificate, a CertificationRequestInfo, a TBSCertList), never over a
 * re-encoding, so parser quirks cannot make a wrong signature verify.
 */

/** One DER element: its tag byte, its whole encoding and its contents. */
export interface DerElement {
  tag: number;
  /** The whole TLV. */
  raw: Buffer;
  /** The value bytes only. */
  content: Buffer;
}

/** Reads the element at `offset`; throws on truncated or indefinite-length input. */
export function readElement(buf: Buffer, offset = 0): DerElement & { end: number } {
  if (offset + 2 > buf.length) throw new Error('DER: truncated header');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new Error('DER: multi-byte tags are not supported');
  let len = buf[offset + 1]!;
  let pos = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Error('DER: unsupported length');
    if (pos + n > buf.length) throw new Error('DER: truncated length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[pos + i]!;
    pos += n;
  }
  const end = pos + len;
  if (end > buf.length) throw new Error('DER: element runs past the end');
  return { tag, raw: buf.subarray(offset, end), content: buf.subarray(pos, end), end };
}

/** The elements inside a constructed element (e.g. a SEQUENCE). */
export function children(el: DerElement): DerElement[] {
  const out: DerElement[] = [];
  let pos = 0;
  while (pos < el.content.length) {
    const child = readElement(el.content, pos);
    out.push(child);
    pos = child.end;
  }
  return out;
}

/** Decodes an OBJECT IDENTIFIER's contents to dotted form. */
export function decodeOid(content: Buffer): string {
  if (content.length === 0) throw new Error('DER: empty OID');
  // Every subidentifier, the first included, is base-128 (X.690 8.19): 2.999 is 0x88 0x37.
  const subids: number[] = [];
  let value = 0;
  for (const b of content) {
    value = value * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      subids.push(value);
      value = 0;
    }
  }
  const first = subids[0] ?? 0;
  const root = Math.min(2, Math.floor(first / 40));
  return [root, first - root * 40, ...subids.slice(1)].join('.');
}

/**
 * The three parts every signed X.509 structure has (certificate, CSR, CRL): the signed
 * bytes, the signature algorithm OID and the signature.
 */
export function splitSigned(der: Buffer): { tbs: Buffer; algorithmOid: string; signature: Buffer } {
  const outer = readElement(der);
  if (outer.tag !== 0x30 || outer.end !== der.length) throw new Error('DER: not a single SEQUENCE');
  const [tbs, alg, sig] = children(outer);
  if (!tbs || !alg || !sig || tbs.tag !== 0x30 || alg.tag !== 0x30 || sig.tag !== 0x03) {
    throw new Error('DER: not a signed structure');
  }
  const oid = children(alg)[0];
  if (!oid || oid.tag !== 0x06) throw new Error('DER: no algorithm OID');
  if (sig.content[0] !== 0) throw new Error('DER: signature has unused bits');
  return { tbs: tbs.raw, algorithmOid: decodeOid(oid.content), signature: sig.content.subarray(1) };
}

/** Converts a PEM block of the given label (or the first block) to DER. */
export function pemToDer(pem: string, label?: string): Buffer {
  const blocks = pemBlocks(pem, label);
  if (blocks.length === 0) throw new Error(`no PEM ${label ?? ''} block`);
  return blocks[0]!;
}

/** All PEM blocks with the given label (or any label), as DER, in order. */
export function pemBlocks(pem: string, label?: string): Buffer[] {
  const re = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  const out: Buffer[] = [];
  for (const m of pem.matchAll(re)) {
    if (label === undefined || m[1] === label)
      out.push(Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64'));
  }
  return out;
}

/** Wraps DER in a PEM block. */
export function derToPem(der: Buffer, label: string): string {
  const b64 = der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}
