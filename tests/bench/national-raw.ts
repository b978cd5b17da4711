import type { NatsConnection, StreamConfig } from 'nats';
import { monoMs } from './national-link.js';

/**
 * The raw JetStream baseline of P3: the same signed bytes published to a stream with the broker
 * stream's own settings (read from the server, so it follows whatever the brokers configure),
 * by `publishers` × `window` concurrent lanes, each waiting for its PubAck before the next
 * publish (sync acks), with a message id per publish as the brokers deduplicate by id. No
 * verification, store, routing or delivery. The stream is deleted afterwards.
 */
export async function rawJetStream(
  nc: NatsConnection,
  sample: string[],
  total: number,
  publishers: number,
  window: number,
): Promise<{ rate: number; seconds: number; stream: string }> {
  const jsm = await nc.jetstreamManager();
  const info = await jsm.streams.info('CCTNS');
  const name = 'BENCHRAW';
  const config: Partial<StreamConfig> = { ...info.config, name, subjects: ['benchraw.>'] };
  await jsm.streams.add(config);
  try {
    const js = nc.jetstream();
    const payloads = sample.map((s) => Buffer.from(s));
    let next = 0;
    const t0 = monoMs();
    await Promise.all(
      Array.from({ length: publishers * window }, async () => {
        for (let i = next++; i < total; i = next++)
          await js.publish(`benchraw.station.P${i % publishers}`, payloads[i % payloads.length], {
            msgID: `raw-${i}`,
          });
      }),
    );
    const seconds = (monoMs() - t0) / 1000;
    return { rate: total / seconds, seconds, stream: describe(info.config) };
  } finally {
    await jsm.streams.delete(name);
  }
}

/** The stream settings that matter for a publish, for the output. */
function describe(c: StreamConfig): string {
  return `${c.storage} storage, ${c.num_replicas} replica(s), duplicate window ${c.duplicate_window / 1e9} s, max age ${(c.max_age / 864e11).toFixed(0)} d`;
}
