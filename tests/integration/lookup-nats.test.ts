import { natsFactory } from '../support/federation-suite.js';
import { lookupSuite } from '../support/lookup-suite.js';

// The distributed mode: a real nats-server (JetStream, mutual TLS); lookups travel as NATS
// requests between the brokers, each joining with its own certificate.
lookupSuite('NATS', ({ dir, pki }) => natsFactory(dir, pki, 'DL'));
