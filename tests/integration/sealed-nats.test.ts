import { join } from 'node:path';
import { NatsBackbone } from '@cctns/broker';
import { sealedSuite } from '../support/sealed-suite.js';
import { startNats } from '../support/nats.js';
import { provision, TEST_PASSPHRASE } from '../support/network.js';

// The distributed mode: a real nats-server (JetStream, mutual TLS); the sealed record and the
// certificate request travel between the brokers over it.
sealedSuite('NATS', async ({ dir, pki }) => {
  const serverTls = join(dir, 'nats-server-tls');
  await provision(pki, pki.unlockCa('KA', TEST_PASSPHRASE), 'broker/KA', serverTls);
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
