import { createServer, type AddressInfo, type Socket } from 'node:net';
import { mongo } from 'mongoose';
import { describe, expect, it } from 'vitest';
import {
  CONNECTION_OPTIONS,
  connectionOptions,
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

  it('leaves timeouts and names the URI sets to the URI, but never the store’s own options', () => {
    expect(connectionOptions('mongodb://h/?replicaSet=rs0')).toEqual(CONNECTION_OPTIONS);
    const opts = connectionOptions(
      'mongodb://h/?serverselectiontimeoutms=1500&appName=x&sanitizeFilter=false&autoIndex=true',
    );
    expect(opts).not.toHaveProperty('serverSelectionTimeoutMS');
    expect(opts).not.toHaveProperty('appName');
    expect(opts).toMatchObject({ sanitizeFilter: true, autoIndex: false, retryWrites: true });
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

/**
 * A TCP server that answers every command with the reply `hello` gets from a standalone mongod
 * (or from a replica set member, with `setName`). It is no database: it checks only what the
 * store does with the handshake, through the real driver, where no MongoDB can run.
 */
async function handshakeOnlyServer(reply: Record<string, unknown>) {
  const { BSON } = mongo;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 16 && buf.length >= buf.readInt32LE(0)) {
        const len = buf.readInt32LE(0);
        const requestId = buf.readInt32LE(4);
        const opCode = buf.readInt32LE(12);
        buf = buf.subarray(len);
        const doc = BSON.serialize({
          ...reply,
          ok: 1,
          localTime: new Date(),
          minWireVersion: 0,
          maxBsonObjectSize: 16 * 1024 * 1024,
          maxMessageSizeBytes: 48_000_000,
          maxWriteBatchSize: 100_000,
          connectionId: 1,
        });
        let body: Buffer;
        let replyOp: number;
        if (opCode === 2013) {
          // OP_MSG: flags, then section kind 0 with the document.
          body = Buffer.concat([Buffer.alloc(4), Buffer.from([0]), Buffer.from(doc)]);
          replyOp = 2013;
        } else {
          // OP_REPLY to a legacy OP_QUERY handshake.
          const head = Buffer.alloc(20);
          head.writeInt32LE(1, 16);
          body = Buffer.concat([head, Buffer.from(doc)]);
          replyOp = 1;
        }
        const header = Buffer.alloc(16);
        header.writeInt32LE(16 + body.length, 0);
        header.writeInt32LE(requestId + 1_000_000, 4);
        header.writeInt32LE(requestId, 8);
        header.writeInt32LE(replyOp, 12);
        socket.write(Buffer.concat([header, body]));
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('MongoBrokerStore.connect against what the server says it is', () => {
  const hello = {
    isWritablePrimary: true,
    ismaster: true,
    helloOk: true,
    maxWireVersion: 21,
    logicalSessionTimeoutMinutes: 30,
  };

  it('refuses a standalone server at start-up with CONFIG_INVALID, saying what to do', async () => {
    const fake = await handshakeOnlyServer(hello);
    try {
      const err = await MongoBrokerStore.connect(
        `mongodb://127.0.0.1:${fake.port}/cctns?directConnection=true`,
        { serverSelectionTimeoutMS: 2000 },
      ).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'CONFIG_INVALID' });
      expect((err as Error).message).toMatch(
        /^config field store \(mongodb:\/\/127\.0\.0\.1:\d+\/cctns\?directConnection=true\): the server is a standalone MongoDB, which cannot run transactions/,
      );
    } finally {
      await fake.close();
    }
  });

  it('refuses a server older than MongoDB 5.0 that is a replica set member', async () => {
    const fake = await handshakeOnlyServer({ ...hello, setName: 'rs0', maxWireVersion: 9 });
    try {
      const err = await MongoBrokerStore.connect(
        `mongodb://127.0.0.1:${fake.port}/cctns?directConnection=true`,
        { serverSelectionTimeoutMS: 2000 },
      ).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'CONFIG_INVALID' });
      expect((err as Error).message).toMatch(/older than MongoDB 5\.0/);
    } finally {
      await fake.close();
    }
  });
});
