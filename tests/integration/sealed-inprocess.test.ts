import { InProcessStream } from '@cctns/broker';
import { sealedSuite } from '../support/sealed-suite.js';

sealedSuite('in-process', async () => {
  const stream = new InProcessStream();
  return {
    connect: async () => stream.connect(),
    brokerOptions: async () => ({ backbone: stream.connect() }),
    cleanup: async () => undefined,
  };
});
