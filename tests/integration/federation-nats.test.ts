import { join } from 'node:path';
import { NatsBackbone } from '@cctns/broker';
import { federationSuite } from '../support/federation-suite.js';
import { startNats } from '../support/nats.js';
import { provision, TEST_PASSPHRASE } from '../support/network.js';

// The distributed mode: a real nats-server with JetStream, mutual TLS with the deployment's
// certificates; each broker joins through its `nats` config field with its own certificate.
federationSuite('NATS JetStream', async ({ dir, pki }) => {
  const serverTls = join(dir, 'nats-server-tls');
  await provision(pki, pki.unlockCa('DL', TEST_PASSPHRASE), 'broker/DL', serverTls);
  const rogueTls = join(dir, 'rogue-broker-tls');
  await provision(pki, pki.unlockCa('DL', TEST_PASSPHRASE), 'broker/DL', rogueTls);
  const nats = await startNats({ tls: { dir: serverTls } });
  return {
    connect: () =>
      NatsBackbone.connect({
        servers: nats.url,
        tls: {
          ca: join(rogueTls, 'root.pem'),
          cert: join(rogueTls, 'cert.pem'),
          key: join(rogueTls, 'key.pem'),
        },
      }),
    brokerOptions: async () => ({ overrides: { nats: { servers: [nats.url] } } }),
    restart: async () => {
      await nats.kill();
      await nats.restart();
    },
    cleanup: () => nats.stop(),
  };
});
