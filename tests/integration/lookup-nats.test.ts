import { join } from 'node:path';
import { NatsBackbone } from '@cctns/broker';
import { lookupSuite } from '../support/lookup-suite.js';
import { startNats } from '../support/nats.js';
import { provision, TEST_PASSPHRASE } from '../support/network.js';

// The distributed mode: a real nats-server (JetStream, mutual TLS); lookups travel as NATS
// requests between the brokers, each joining with its own certificate.
lookupSuite('NATS', async ({ dir, pki }) => {
  const serverTls = join(dir, 'nats-server-tls');
  await provision(pki, pki.unlockCa('DL', TEST_PASSPHRASE), 'broker/DL', serverTls);
  const nats = await startNats({ tls: { dir: serverTls } });
  return {
    connect: () =>
      NatsBackbone.connect({
        servers: nats.url,
        tls: {
          ca: join(serverTls, 'root.pem'),
          cert: join(serverTls, 'cert.pem'),
          key: join(serverTls, 'key.pem'),
        },
      }),
    brokerOptions: async () => ({ overrides: { nats: { servers: [nats.url] } } }),
    cleanup: () => nats.stop(),
  };
});
