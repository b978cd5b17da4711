import { InProcessStream } from '@cctns/broker';
import { lookupSuite } from '../support/lookup-suite.js';

// The embedded mode: every broker on one in-process backbone.
lookupSuite('in-process', async () => {
  const stream = new InProcessStream();
  return {
    connect: async () => stream.connect(),
    brokerOptions: async () => ({ backbone: stream.connect() }),
    cleanup: async () => undefined,
  };
});
