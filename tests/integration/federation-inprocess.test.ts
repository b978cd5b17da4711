import { InProcessStream } from '@cctns/broker';
import { federationSuite } from '../support/federation-suite.js';

// The embedded mode: every broker in one process on the in-process backbone.
federationSuite('the in-process backbone', async () => {
  const stream = new InProcessStream();
  return {
    connect: async () => stream.connect(),
    brokerOptions: async () => ({ backbone: stream.connect() }),
    cleanup: async () => undefined,
  };
});
