import { inProcessFactory } from '../support/federation-suite.js';
import { sealedSuite } from '../support/sealed-suite.js';

// The embedded mode: every broker on one in-process backbone.
sealedSuite('in-process', async () => inProcessFactory());
