import { describe, expect, it } from 'vitest';
import { backboneConformance } from './conformance.js';
import { InProcessStream } from './in-process.js';

backboneConformance('in-process', async () => {
  const stream = new InProcessStream();
  return { connect: async () => stream.connect(), cleanup: async () => undefined };
});

describe('in-process stream sequence', () => {
  it('moves an empty stream past a broker log head, so a restarted embedded network keeps growing', async () => {
    const stream = new InProcessStream();
    const b = stream.connect();
    await b.ensureAfter(41);
    expect((await b.publish('cctns.v1.MH.state', 'alert', 'x', 'jws')).seq).toBe(42);
    await b.close();
  });
});
