import {
  Metadata,
  status,
  type ServerInterceptingCall,
  type ServerInterceptor,
  type StatusObject,
} from '@grpc/grpc-js';
import { BROKER_ERRORS, type BrokerErrorCode } from '../errors.js';
import { REASON_METADATA_KEY } from './status.js';

type PartialStatus = Pick<StatusObject, 'code' | 'details'> & { metadata?: Metadata | null };

/**
 * The refusals grpc-js makes itself, before any handler sees the message (a frame beyond the
 * transport limit, a request that does not deserialize or decompress), by the status and the
 * start of the text it sends them with.
 */
const TRANSPORT_REFUSALS: ReadonlyArray<{
  code: status;
  details: RegExp;
  reason: BrokerErrorCode;
}> = [
  {
    code: status.RESOURCE_EXHAUSTED,
    details: /^Received message (larger|that decompresses)/,
    reason: 'TOO_LARGE',
  },
  {
    code: status.INTERNAL,
    details: /^(Error deserializing request|Failed to decompress)/,
    reason: 'MALFORMED',
  },
  { code: status.UNIMPLEMENTED, details: /^Received message compressed with/, reason: 'MALFORMED' },
];

/**
 * A status as the broker sends its own refusals: a transport refusal gets the status of its reason
 * (a request that does not deserialize is the client's mistake, INVALID_ARGUMENT, not INTERNAL)
 * and the `cctns-reason` trailer; any other status is left as it is.
 */
export function withTransportReason<S extends PartialStatus>(s: S): S {
  if (s.code === status.OK || (s.metadata && s.metadata.get(REASON_METADATA_KEY).length > 0))
    return s;
  const known = TRANSPORT_REFUSALS.find((r) => r.code === s.code && r.details.test(s.details));
  if (!known) return s;
  const metadata = s.metadata ? s.metadata.clone() : new Metadata();
  metadata.set(REASON_METADATA_KEY, known.reason);
  return {
    ...s,
    code: BROKER_ERRORS[known.reason].grpc,
    details: `${known.reason}: ${s.details}`,
    metadata,
  };
}

/**
 * Server interceptor: every call's transport refusals leave with a reason (withTransportReason).
 * grpc-js sends them from inside its own call object (`this.sendStatus`), past any interceptor's
 * responder, so that object's method is wrapped instead of the call being wrapped in another one;
 * this also leaves nothing added per message on the station links. A test over a real link
 * (`link-protocol.test.ts`) fails if a grpc-js upgrade changes this.
 */
export const transportRefusals: ServerInterceptor = (_method, call) => {
  const send = call.sendStatus.bind(call);
  call.sendStatus = (s) => send(withTransportReason(s));
  return call as ServerInterceptingCall;
};
