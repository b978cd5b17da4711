import { federationSuite, natsFactory } from '../support/federation-suite.js';

// The distributed mode: a real nats-server with JetStream, mutual TLS with the deployment's
// certificates; each broker joins through its `nats` config field with its own certificate.
federationSuite('NATS JetStream', ({ dir, pki }) => natsFactory(dir, pki, 'DL'));
