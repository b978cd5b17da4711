import type { ServerSurfaceCall } from '@grpc/grpc-js/build/src/server-call.js';
import {
  isPkiError,
  type TrustStore,
  type VerifiedCertificate,
  type VerifyOptions,
} from '@cctns/pki';
import { BrokerError } from '../errors.js';

/**
 * The caller's identity, from its TLS client certificate only (never from a message body),
 * checked against the trust store: chain, dates, usage, issuing CA of its state, revocation.
 */
export function authenticate(
  call: Pick<ServerSurfaceCall, 'getAuthContext'>,
  trust: TrustStore,
  opts: VerifyOptions = {},
): VerifiedCertificate {
  const raw = call.getAuthContext()?.sslPeerCertificate?.raw;
  if (!raw) throw new BrokerError('UNAUTHENTICATED', 'a client certificate is required');
  try {
    // Looked up by the certificate's text, as JWS chains are: a caller's certificate is parsed
    // and its chain checked once, not on every call (dates and revocation are checked each time).
    return trust.verifyX5c([raw.toString('base64')], opts);
  } catch (err) {
    if (isPkiError(err, 'CERT_USAGE'))
      throw new BrokerError('IDENTITY_FORBIDDEN', err.message, { cause: err });
    if (isPkiError(err))
      throw new BrokerError('CERT_REFUSED', `certificate refused: ${err.message}`, { cause: err });
    throw err;
  }
}
