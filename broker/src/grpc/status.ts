import {
  Metadata,
  status,
  type handleUnaryCall,
  type ServerUnaryCall,
  type ServiceError,
} from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { BrokerError, storeFault } from '../errors.js';

/** The reason code travels in trailing metadata `cctns-reason`, so clients need not parse text. */
export const REASON_METADATA_KEY = 'cctns-reason';

/**
 * Maps any error to the status sent to a peer: BrokerErrors keep their status and message, a
 * store fault the peer can wait out becomes STORE_FULL / STORE_BUSY, anything else becomes INTERNAL with a generic message and is logged here.
 */
export function toServiceError(thrown: unknown, logger: Logger): Partial<ServiceError> {
  const metadata = new Metadata();
  const err = thrown instanceof BrokerError ? thrown : (storeFault(thrown) ?? thrown);
  if (err instanceof BrokerError) {
    metadata.set(REASON_METADATA_KEY, err.code);
    return { code: err.grpcStatus, details: `${err.code}: ${err.message}`, metadata };
  }
  logger.error({ err }, 'internal error');
  metadata.set(REASON_METADATA_KEY, 'INTERNAL');
  return { code: status.INTERNAL, details: 'INTERNAL: internal error', metadata };
}

/** Wraps a unary handler so that thrown errors become statuses in one place. */
export function unary<Req, Res>(
  logger: Logger,
  fn: (call: ServerUnaryCall<Req, Res>) => Promise<Res>,
): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    fn(call).then(
      (res) => callback(null, res),
      (err: unknown) => callback(toServiceError(err, logger) as ServiceError),
    );
  };
}
