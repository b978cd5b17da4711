import { inProcessFactory } from '../support/federation-suite.js';
import { lookupSuite } from '../support/lookup-suite.js';

// The embedded mode: every broker on one in-process backbone.
lookupSuite('in-process', async () => inProcessFactory());
