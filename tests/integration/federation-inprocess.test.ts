import { federationSuite, inProcessFactory } from '../support/federation-suite.js';

// The embedded mode: every broker in one process on the in-process backbone.
federationSuite('the in-process backbone', async () => inProcessFactory());
