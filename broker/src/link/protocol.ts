import { AgentMessage } from '@cctns/proto';
import { BrokerError } from '../errors.js';

/**
 * Where a station link is in its protocol: it waits for the agent's hello, then carries traffic
 * (alerts, receipts, cursor acknowledgements) until it closes. Nothing else moves it.
 */
export type LinkPhase = 'awaiting-hello' | 'open' | 'closed';

/** What an agent message is, for the protocol: its body's case, or `empty` for none. */
export type AgentMessageKind = NonNullable<AgentMessage['body']>['$case'] | 'empty';

/** A message the link takes in its phase (and the phase it moves to), or its refusal. */
export type LinkStep =
  | { ok: true; phase: LinkPhase }
  | { ok: false; phase: LinkPhase; refusal: BrokerError | undefined };

/**
 * The station link's state machine. A refused message leaves the phase as it was (the link stays
 * up); a closed link takes nothing and answers nothing (`refusal` undefined).
 */
export function linkStep(phase: LinkPhase, kind: AgentMessageKind): LinkStep {
  if (phase === 'closed') return { ok: false, phase, refusal: undefined };
  if (kind === 'empty')
    return { ok: false, phase, refusal: new BrokerError('PROTOCOL', 'empty or unknown message') };
  if (phase === 'awaiting-hello') {
    if (kind === 'hello') return { ok: true, phase: 'open' };
    return {
      ok: false,
      phase,
      refusal: new BrokerError('PROTOCOL', `${kind} before hello: hello must come first on a link`),
    };
  }
  if (kind === 'hello')
    return {
      ok: false,
      phase,
      refusal: new BrokerError('PROTOCOL', 'hello was already received on this link'),
    };
  return { ok: true, phase };
}

/**
 * Room on a link frame beyond the message limit for the envelope around the signed message (the
 * ref and the field headers); a frame larger than limit + this is refused without decoding it.
 */
export const FRAME_OVERHEAD = 4096;

/** The longest ref a refusal of an undecodable frame echoes back. */
const MAX_PEEKED_REF = 256;

/** An agent frame read: the message, or the refusal with whatever ref could be read. */
export type AgentFrame =
  { ok: true; message: AgentMessage } | { ok: false; ref: string; refusal: BrokerError };

/**
 * Reads one frame of the station link: decoded once, straight from the transport's buffer (no
 * copy). A frame that is not an AgentMessage is refused MALFORMED, one larger than the message
 * limit TOO_LARGE (before decoding it); both carry the frame's ref when it can be read, so the
 * agent knows which message was refused.
 */
export function readAgentFrame(frame: Uint8Array, maxMessageBytes: number): AgentFrame {
  if (frame.length > maxMessageBytes + FRAME_OVERHEAD)
    return {
      ok: false,
      ref: peekRef(frame),
      refusal: new BrokerError(
        'TOO_LARGE',
        `a message of ${frame.length} bytes; the limit is ${maxMessageBytes}`,
      ),
    };
  try {
    return { ok: true, message: AgentMessage.decode(frame) };
  } catch (cause) {
    return {
      ok: false,
      ref: peekRef(frame),
      refusal: new BrokerError('MALFORMED', 'the frame is not a station link message', { cause }),
    };
  }
}

/**
 * The ref of a frame that may not decode as a whole, when it leads the frame as every encoder
 * writes it (field 1, length-delimited, first); empty when it does not, or is too long.
 */
export function peekRef(frame: Uint8Array): string {
  if (frame.length < 2 || frame[0] !== 0x0a) return '';
  // The length as a varint of at most two bytes (a ref of up to 16,383 bytes, more than enough).
  let len = frame[1]!;
  let at = 2;
  if (len & 0x80) {
    if (frame.length < 3 || frame[2]! & 0x80) return '';
    len = (len & 0x7f) | (frame[2]! << 7);
    at = 3;
  }
  if (len > MAX_PEEKED_REF || at + len > frame.length) return '';
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(frame.subarray(at, at + len));
  } catch {
    return '';
  }
}
