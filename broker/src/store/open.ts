import type { BrokerConfig } from '../config/config.js';
import { mongoDatabaseName, redactUri } from './mongo/connect.js';
import { MongoBrokerStore } from './mongo/mongo-store.js';
import { SqliteBrokerStore } from './sqlite.js';
import type { BrokerStore } from './store.js';

/** What opening a store needs from the broker configuration. */
export type StoreConfig = Pick<BrokerConfig, 'store' | 'durability' | 'identity' | 'replica'>;

/** Whether a configured store is MongoDB (else SQLite). */
export function isMongoStore(store: string): boolean {
  return /^mongodb(\+srv)?:\/\//i.test(store);
}

/** The store as it may be logged: the SQLite file, or the MongoDB URI without its secrets. */
export function describeStore(config: StoreConfig): string {
  return isMongoStore(config.store)
    ? `${redactUri(config.store)} (database ${mongoDatabaseName(config.store, config.identity, config.replica)})`
    : config.store;
}

/**
 * Opens the configured store: `sqlite:<file>` (the embedded default) or a MongoDB URI (a
 * replica set; the database is the URI's, else one per broker and replica).
 */
export async function openBrokerStore(config: StoreConfig): Promise<BrokerStore> {
  if (isMongoStore(config.store))
    return MongoBrokerStore.connect(config.store, {
      dbName: mongoDatabaseName(config.store, config.identity, config.replica),
    });
  return new SqliteBrokerStore(config.store.slice('sqlite:'.length), {
    durability: config.durability,
  });
}
