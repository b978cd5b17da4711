import { AgentMessage } from '@cctns/proto';
import { describe, expect, it } from 'vitest';
import { BrokerError } from '../errors.js';
import {
  FRAME_OVERHEAD,
  linkStep,
  peekRef,
  readAgentFrame,
  type AgentMessageKind,
  type LinkPhase,
} from './protocol.js';

const reasonOf = (phase: LinkPhase, kind: AgentMessageKind) => {
  const step = linkStep(phase, kind);
  return step.ok ? 'ok' : (step.refusal?.code ?? 'ignored');
};

describe('linkStep', () => {
  it('opens the link on hello and only on hello', () => {
    expect(linkStep('awaiting-hello', 'hello')).toEqual({ ok: true, phase: 'open' });
  });

  it.each(['alert', 'receipt', 'ack', 'empty'] as const)(
    'refuses %s before hello (PROTOCOL) and keeps waiting for hello',
    (kind) => {
      const step = linkStep('awaiting-hello', kind);
      expect(step).toMatchObject({ ok: false, phase: 'awaiting-hello' });
      expect(reasonOf('awaiting-hello', kind)).toBe('PROTOCOL');
    },
  );

  it('refuses a second hello (PROTOCOL) and stays open', () => {
    expect(linkStep('open', 'hello')).toMatchObject({ ok: false, phase: 'open' });
    expect(reasonOf('open', 'hello')).toBe('PROTOCOL');
  });

  it.each(['alert', 'receipt', 'ack'] as const)('takes %s on an open link', (kind) => {
    expect(linkStep('open', kind)).toEqual({ ok: true, phase: 'open' });
  });

  it('refuses an empty message on an open link (PROTOCOL)', () => {
    expect(reasonOf('open', 'empty')).toBe('PROTOCOL');
  });

  it.each(['hello', 'alert', 'receipt', 'ack', 'empty'] as const)(
    'takes nothing and answers nothing once closed (%s)',
    (kind) => {
      expect(linkStep('closed', kind)).toEqual({ ok: false, phase: 'closed', refusal: undefined });
    },
  );
});

const encode = (m: AgentMessage) => Buffer.from(AgentMessage.encode(m).finish());

describe('readAgentFrame', () => {
  it('decodes a well-formed message', () => {
    const frame = encode({ ref: 'r1', body: { $case: 'ack', value: { seq: 42 } } });
    expect(readAgentFrame(frame, 1024)).toEqual({
      ok: true,
      message: { ref: 'r1', body: { $case: 'ack', value: { seq: 42 } } },
    });
  });

  it('refuses bytes that are not protobuf (MALFORMED)', () => {
    const read = readAgentFrame(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), 1024);
    expect(read).toMatchObject({ ok: false, ref: '' });
    expect(!read.ok && read.refusal).toBeInstanceOf(BrokerError);
    expect(!read.ok && read.refusal.code).toBe('MALFORMED');
  });

  it('refuses a message cut short, with its ref', () => {
    const whole = encode({
      ref: 'cut',
      body: { $case: 'alert', value: { jws: 'a.b.c'.repeat(9) } },
    });
    const read = readAgentFrame(whole.subarray(0, 12), 1024);
    expect(read).toMatchObject({ ok: false, ref: 'cut' });
    expect(!read.ok && read.refusal.code).toBe('MALFORMED');
  });

  it('refuses a frame beyond the message limit (TOO_LARGE) without decoding it', () => {
    const frame = encode({
      ref: 'big',
      body: { $case: 'alert', value: { jws: 'x'.repeat(1000 + FRAME_OVERHEAD) } },
    });
    const read = readAgentFrame(frame, 1000);
    expect(read).toMatchObject({ ok: false, ref: 'big' });
    expect(!read.ok && read.refusal.code).toBe('TOO_LARGE');
    // The envelope's room: a message at the limit is taken.
    const at = encode({ ref: 'at', body: { $case: 'alert', value: { jws: 'x'.repeat(1000) } } });
    expect(readAgentFrame(at, 1000).ok).toBe(true);
  });
});

describe('peekRef', () => {
  it('reads a leading ref, one- and two-byte lengths', () => {
    expect(peekRef(encode({ ref: 'abc', body: undefined }))).toBe('abc');
    const long = 'r'.repeat(200);
    expect(peekRef(encode({ ref: long, body: undefined }))).toBe(long);
  });

  it('gives nothing for a ref that is not first, too long, cut short or not UTF-8', () => {
    expect(peekRef(encode({ ref: '', body: { $case: 'ack', value: { seq: 1 } } }))).toBe('');
    expect(peekRef(encode({ ref: 'r'.repeat(300), body: undefined }))).toBe('');
    expect(peekRef(Buffer.from([0x0a, 0x05, 0x61]))).toBe('');
    expect(peekRef(Buffer.from([0x0a, 0x02, 0xc3, 0x28]))).toBe('');
    expect(peekRef(Buffer.from([0x0a]))).toBe('');
  });
});
