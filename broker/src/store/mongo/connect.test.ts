import { describe, expect, it } from 'vitest';
import {
  CONNECTION_OPTIONS,
  mongoDatabaseName,
  mongoUriProblem,
  redactUri,
  scrub,
  topologyProblem,
} from './connect.js';
import { describeStore } from '../open.js';
import { MongoBrokerStore } from './mongo-store.js';

describe('MongoDB start-up checks', () => {
  const replicaSet = {
    setName: 'rs0',
    isWritablePrimary: true,
    maxWireVersion: 21,
    logicalSessionTimeoutMinutes: 30,
  };

  it('accepts the primary of a replica set and a mongos', () => {
    expect(topologyProblem(replicaSet)).toBeUndefined();
    expect(
      topologyProblem({ msg: 'isdbgrid', maxWireVersion: 21, logicalSessionTimeoutMinutes: 30 }),
    ).toBeUndefined();
  });

  it('refuses a standalone server with a message that says what to do', () => {
    expect(
      topologyProblem({
        isWritablePrimary: true,
        maxWireVersion: 21,
        logicalSessionTimeoutMinutes: 30,
      }),
    ).toMatch(/standalone MongoDB, which cannot run transactions.*--replSet rs0.*rs\.initiate\(\)/);
    expect(topologyProblem({ ...replicaSet, setName: '' })).toMatch(/standalone/);
  });

  it('refuses servers older than 5.0, without sessions, or a secondary', () => {
    expect(topologyProblem({ ...replicaSet, maxWireVersion: 9 })).toMatch(
      /older than MongoDB 5\.0/,
    );
    expect(topologyProblem({ ...replicaSet, logicalSessionTimeoutMinutes: null })).toMatch(
      /sessions/,
    );
    expect(topologyProblem({ ...replicaSet, isWritablePrimary: false })).toMatch(
      /not the primary of replica set rs0/,
    );
  });

  it('connects with sanitizeFilter on and no automatic index or collection creation', () => {
    expect(CONNECTION_OPTIONS).toMatchObject({
      sanitizeFilter: true,
      autoIndex: false,
      autoCreate: false,
    });
  });
});

describe('MongoDB URIs', () => {
  it('never shows a password', () => {
    expect(redactUri('mongodb://cctns:s3cr%40t@db1:27017,db2:27017/cctns?replicaSet=rs0')).toBe(
      'mongodb://cctns:****@db1:27017,db2:27017/cctns?replicaSet=rs0',
    );
    expect(redactUri('mongodb+srv://u:p@cluster0.example.in/?authSource=admin')).toBe(
      'mongodb+srv://u:****@cluster0.example.in/?authSource=admin',
    );
    expect(
      redactUri(
        'mongodb://h/?authMechanism=MONGODB-AWS&authMechanismProperties=AWS_SESSION_TOKEN:xyz',
      ),
    ).toBe('mongodb://h/?authMechanism=MONGODB-AWS&authMechanismProperties=****');
    expect(redactUri('mongodb://h:27017/')).toBe('mongodb://h:27017/');
    expect(redactUri('not a uri')).toBe('<unparseable URI>');
  });

  it('describes the configured store for logs without the password', () => {
    const store = 'mongodb://cctns:hunter2@db1,db2/?replicaSet=rs0';
    const d = describeStore({ store, identity: 'broker/KA', replica: '2', durability: 'normal' });
    expect(d).toBe('mongodb://cctns:****@db1,db2/?replicaSet=rs0 (database cctns_broker_KA_2)');
    expect(
      describeStore({
        store: 'sqlite:/var/lib/cctns/ka.db',
        identity: 'broker/KA',
        replica: '1',
        durability: 'normal',
      }),
    ).toBe('sqlite:/var/lib/cctns/ka.db');
  });

  it('scrubs a password out of driver messages, raw and decoded', () => {
    const uri = 'mongodb://cctns:s3cr%40t@db1/cctns';
    expect(scrub('auth failed for s3cr@t and s3cr%40t', uri)).toBe('auth failed for **** and ****');
  });

  it('uses the database the URI names, else one per broker and replica', () => {
    expect(mongoDatabaseName('mongodb://h/cctns_mh', 'broker/MH', '1')).toBe('cctns_mh');
    expect(mongoDatabaseName('mongodb://h/?replicaSet=rs0', 'broker/MH', '1')).toBe(
      'cctns_broker_MH_1',
    );
    expect(mongoDatabaseName('mongodb://u:p@h1,h2', 'broker/national', 'r-2')).toBe(
      'cctns_broker_national_r_2',
    );
  });

  it.each([
    ['mongodb://db1:27017,db2:27017/cctns?replicaSet=rs0', undefined],
    ['mongodb://u:p@localhost/?replicaSet=rs0', undefined],
    ['mongodb+srv://u:p@cluster0.police.in/cctns', undefined],
    ['mongodb://[::1]:27017/', undefined],
    ['mongodb://', /must be mongodb/],
    ['mongodb://u:secret@/db', /invalid host list/],
    ['mongodb://db1:27017,,db2/x', /invalid host list/],
    ['mongodb+srv://a,b/x', /one host name/],
    ['mongodb+srv://a:27017/x', /one host name/],
    ['mongodb://h/bad.name', /invalid database/],
    ['mongodb://h/has space', /must be mongodb/],
  ])('judges %s', (uri, problem) => {
    const p = mongoUriProblem(uri);
    if (problem === undefined) expect(p).toBeUndefined();
    else expect(p).toMatch(problem);
    expect(p ?? '').not.toContain('secret');
  });

  it('says STORE_UNAVAILABLE, without the password, when no server answers', async () => {
    const err = await MongoBrokerStore.connect(
      'mongodb://cctns:hunter2@127.0.0.1:1/?replicaSet=rs0',
      {
        serverSelectionTimeoutMS: 300,
      },
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect((err as Error).message).toMatch(
      /^cannot reach MongoDB at mongodb:\/\/cctns:\*\*\*\*@127\.0\.0\.1:1\//,
    );
    expect((err as Error).message).not.toContain('hunter2');
  });
});
