import { backboneConformance } from './conformance.js';
import { InProcessStream } from './in-process.js';

backboneConformance('in-process', async () => {
  const stream = new InProcessStream();
  return { connect: async () => stream.connect(), cleanup: async () => undefined };
});
