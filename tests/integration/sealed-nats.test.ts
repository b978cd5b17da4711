import { natsFactory } from '../support/federation-suite.js';
import { sealedSuite } from '../support/sealed-suite.js';

// The distributed mode: a real nats-server (JetStream, mutual TLS); the sealed record and the
// certificate request travel between the brokers over it.
sealedSuite('NATS', ({ dir, pki }) => natsFactory(dir, pki, 'KA'));
