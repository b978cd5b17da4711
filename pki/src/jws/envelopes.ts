import {
  Alert,
  LookupRequest,
  Receipt,
  type SignedAlert,
  type SignedLookup,
  type SignedReceipt,
} from '@cctns/proto';
import { PkiError } from '../errors.js';
import type { TrustStore, VerifiedCertificate, VerifyOptions } from '../verify/trust-store.js';
import { verifyJws, type JwsSigner } from './jws.js';

/** JWS `typ` of a signed alert. */
export const ALERT_JWS_TYPE = 'cctns-alert+jws';
/** JWS `typ` of a signed receipt. */
export const RECEIPT_JWS_TYPE = 'cctns-receipt+jws';

/** Signs an alert as its originator: the JWS payload is the alert's protobuf encoding. */
export async function signAlert(signer: JwsSigner, alert: Alert): Promise<SignedAlert> {
  return { jws: await signer.sign(Alert.encode(alert).finish(), { typ: ALERT_JWS_TYPE }) };
}

/** Signs a receipt as the station that sends it. */
export async function signReceipt(signer: JwsSigner, receipt: Receipt): Promise<SignedReceipt> {
  return { jws: await signer.sign(Receipt.encode(receipt).finish(), { typ: RECEIPT_JWS_TYPE }) };
}

function decode<T>(codec: { decode(b: Uint8Array): T }, payload: Uint8Array, what: string): T {
  try {
    return codec.decode(payload);
  } catch (cause) {
    throw new PkiError('MESSAGE_MALFORMED', `the signed ${what} cannot be decoded`, { cause });
  }
}

/**
 * Verifies a signed alert end to end (signature, chain, revocation) and decodes it; the alert's
 * `sender` must be its signer, so no hop can re-attribute it.
 */
export async function openAlert(
  jws: string,
  trust: TrustStore,
  opts: VerifyOptions = {},
): Promise<{ alert: Alert; signer: VerifiedCertificate }> {
  const v = await verifyJws(jws, trust, { ...opts, typ: ALERT_JWS_TYPE });
  const alert = decode(Alert, v.payload, 'alert');
  if (alert.sender !== v.signer.identityString) {
    throw new PkiError(
      'SIGNER_MISMATCH',
      `the alert names sender ${JSON.stringify(alert.sender.slice(0, 80))} but is signed by ${v.signer.identityString}`,
    );
  }
  return { alert, signer: v.signer };
}

/** Verifies and decodes a signed receipt; its `station` must be its signer. */
export async function openReceipt(
  jws: string,
  trust: TrustStore,
  opts: VerifyOptions = {},
): Promise<{ receipt: Receipt; signer: VerifiedCertificate }> {
  const v = await verifyJws(jws, trust, { ...opts, typ: RECEIPT_JWS_TYPE });
  const receipt = decode(Receipt, v.payload, 'receipt');
  if (receipt.station !== v.signer.identityString) {
    throw new PkiError(
      'SIGNER_MISMATCH',
      `the receipt names station ${JSON.stringify(receipt.station.slice(0, 80))} but is signed by ${v.signer.identityString}`,
    );
  }
  return { receipt, signer: v.signer };
}

/** JWS `typ` of a signed lookup. */
export const LOOKUP_JWS_TYPE = 'cctns-lookup+jws';

/** Signs a lookup as its caller: who asks, why, and what, in one signature every broker checks. */
export async function signLookup(signer: JwsSigner, request: LookupRequest): Promise<SignedLookup> {
  return {
    jws: await signer.sign(LookupRequest.encode(request).finish(), { typ: LOOKUP_JWS_TYPE }),
  };
}

/** Verifies and decodes a signed lookup; its `caller` must be its signer. */
export async function openLookup(
  jws: string,
  trust: TrustStore,
  opts: VerifyOptions = {},
): Promise<{ request: LookupRequest; signer: VerifiedCertificate }> {
  const v = await verifyJws(jws, trust, { ...opts, typ: LOOKUP_JWS_TYPE });
  const request = decode(LookupRequest, v.payload, 'lookup');
  if (request.caller !== v.signer.identityString) {
    throw new PkiError(
      'SIGNER_MISMATCH',
      `the lookup names caller ${JSON.stringify(request.caller.slice(0, 80))} but is signed by ${v.signer.identityString}`,
    );
  }
  return { request, signer: v.signer };
}
