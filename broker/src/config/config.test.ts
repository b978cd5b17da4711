import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerError } from '../errors.js';
import { BROKER_DEFAULTS, brokerConfig, loadBrokerConfig } from './config.js';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cctns-broker-config-'));
  mkdirSync(join(dir, 'tls'));
  for (const f of ['broker.pem', 'broker.key', 'root.pem', 'ca-MH.pem', 'mh.crl'])
    writeFileSync(join(dir, 'tls', f), '');
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A minimal valid configuration file: identity and TLS files, everything else defaulted. */
const minimal = (): Record<string, unknown> => ({
  identity: 'broker/MH',
  tls: { cert: 'tls/broker.pem', key: 'tls/broker.key', root: 'tls/root.pem' },
});

function configError(
  input: Record<string, unknown>,
  env: NodeJS.ProcessEnv = {},
  baseDir: string = dir,
): BrokerError {
  try {
    brokerConfig(input, { baseDir, env });
  } catch (err) {
    expect(err).toBeInstanceOf(BrokerError);
    expect((err as BrokerError).code).toBe('CONFIG_INVALID');
    return err as BrokerError;
  }
  throw new Error('expected CONFIG_INVALID, the configuration was accepted');
}

describe('brokerConfig', () => {
  it('applies the defaults to every optional field', () => {
    const c = brokerConfig(minimal(), { baseDir: dir });
    expect(c).toEqual({
      identity: 'broker/MH',
      trustDomain: 'cctns.local',
      listen: '127.0.0.1:7443',
      enrollListen: null,
      httpListen: '127.0.0.1:9464',
      tls: {
        cert: join(dir, 'tls/broker.pem'),
        key: join(dir, 'tls/broker.key'),
        root: join(dir, 'tls/root.pem'),
        cas: [],
        crls: [],
      },
      pkiDir: null,
      caPassphrase: null,
      store: `sqlite:${join(dir, 'broker.db')}`,
      durability: 'normal',
      policy: null,
      replica: '1',
      nats: null,
      notify: null,
      audit: {
        checkpointSeconds: 300,
        checkpointEntries: 100,
        checkpointFile: null,
        witnessFile: null,
      },
      lookupPolicy: null,
      lookupTimeoutMs: 3000,
      limits: { maxMessageBytes: 256 * 1024, ratePerSecond: 20, burst: 100 },
    });
    expect(c.limits).toEqual(BROKER_DEFAULTS.limits);
  });

  it('takes the file’s fields over the defaults', () => {
    const c = brokerConfig(
      {
        ...minimal(),
        trustDomain: 'police.gov.in',
        listen: '0.0.0.0:8443',
        enrollListen: '0.0.0.0:8444',
        httpListen: '[::1]:9100',
        store: 'sqlite:/var/lib/cctns/mh.db',
        durability: 'full',
        limits: { burst: 10 },
      },
      { baseDir: dir },
    );
    expect(c).toMatchObject({
      trustDomain: 'police.gov.in',
      listen: '0.0.0.0:8443',
      enrollListen: '0.0.0.0:8444',
      httpListen: '[::1]:9100',
      store: 'sqlite:/var/lib/cctns/mh.db',
      durability: 'full',
      limits: { maxMessageBytes: 256 * 1024, ratePerSecond: 20, burst: 10 },
    });
  });

  it('lets CCTNS_* environment variables override the file', () => {
    const c = brokerConfig(
      { ...minimal(), listen: '0.0.0.0:8443', durability: 'full', httpListen: '0.0.0.0:9100' },
      {
        baseDir: dir,
        env: {
          CCTNS_BROKER_IDENTITY: 'broker/KA',
          CCTNS_TRUST_DOMAIN: 'ka.police.in',
          CCTNS_BROKER_LISTEN: '10.0.0.5:7443',
          CCTNS_BROKER_ENROLL_LISTEN: '10.0.0.5:7444',
          CCTNS_BROKER_HTTP_LISTEN: '',
          CCTNS_BROKER_STORE: 'sqlite:state/ka.db',
          CCTNS_BROKER_DURABILITY: 'normal',
          CCTNS_PKI_DIR: 'pki',
          CCTNS_CA_PASSPHRASE_KA: 'ka-secret',
        },
      },
    );
    expect(c).toMatchObject({
      identity: 'broker/KA',
      trustDomain: 'ka.police.in',
      listen: '10.0.0.5:7443',
      enrollListen: '10.0.0.5:7444',
      httpListen: null,
      store: `sqlite:${join(dir, 'state/ka.db')}`,
      durability: 'normal',
      pkiDir: join(dir, 'pki'),
      caPassphrase: 'ka-secret',
    });
  });

  it('does not read process.env when no env is given', () => {
    const saved = process.env['CCTNS_BROKER_LISTEN'];
    process.env['CCTNS_BROKER_LISTEN'] = '10.9.9.9:1234';
    try {
      expect(brokerConfig(minimal(), { baseDir: dir }).listen).toBe('127.0.0.1:7443');
    } finally {
      if (saved === undefined) delete process.env['CCTNS_BROKER_LISTEN'];
      else process.env['CCTNS_BROKER_LISTEN'] = saved;
    }
  });

  it('resolves relative paths against baseDir and keeps absolute ones', () => {
    const abs = join(dir, 'tls', 'root.pem');
    const c = brokerConfig(
      {
        ...minimal(),
        tls: {
          cert: 'tls/broker.pem',
          key: './tls/../tls/broker.key',
          root: abs,
          cas: ['tls/ca-MH.pem'],
          crls: ['tls/mh.crl'],
        },
        pkiDir: 'pki',
        store: 'sqlite:data/broker.db',
      },
      { baseDir: dir, env: { CCTNS_CA_PASSPHRASE: 'x' } },
    );
    expect(c.tls).toEqual({
      cert: join(dir, 'tls', 'broker.pem'),
      key: join(dir, 'tls', 'broker.key'),
      root: abs,
      cas: [join(dir, 'tls', 'ca-MH.pem')],
      crls: [join(dir, 'tls', 'mh.crl')],
    });
    expect(c.pkiDir).toBe(join(dir, 'pki'));
    expect(c.store).toBe(`sqlite:${join(dir, 'data', 'broker.db')}`);
  });

  it('reads the CA passphrase of its own state before the generic one', () => {
    const c = brokerConfig(
      { ...minimal(), pkiDir: 'pki' },
      {
        baseDir: dir,
        env: { CCTNS_CA_PASSPHRASE_MH: 'mh-secret', CCTNS_CA_PASSPHRASE: 'generic' },
      },
    );
    expect(c.caPassphrase).toBe('mh-secret');
  });

  it('the national broker reads the CENTRAL CA passphrase', () => {
    const c = brokerConfig(
      { ...minimal(), identity: 'broker/national', pkiDir: 'pki' },
      { baseDir: dir, env: { CCTNS_CA_PASSPHRASE_CENTRAL: 'central-secret' } },
    );
    expect(c.caPassphrase).toBe('central-secret');
  });

  it('treats an empty enrollListen, httpListen or pkiDir as off', () => {
    const c = brokerConfig(
      { ...minimal(), enrollListen: '', httpListen: '', pkiDir: '' },
      { baseDir: dir },
    );
    expect([c.enrollListen, c.httpListen, c.pkiDir]).toEqual([null, null, null]);
  });

  it('turns the metrics endpoint off for httpListen null, as `broker init --http-listen ""` writes it', () => {
    const c = brokerConfig({ ...minimal(), httpListen: null }, { baseDir: dir });
    expect(c.httpListen).toBeNull();
  });

  it('turns the metrics endpoint off for an empty CCTNS_BROKER_HTTP_LISTEN', () => {
    const c = brokerConfig(
      { ...minimal(), httpListen: '0.0.0.0:9100' },
      { baseDir: dir, env: { CCTNS_BROKER_HTTP_LISTEN: '' } },
    );
    expect(c.httpListen).toBeNull();
  });

  it('returns a frozen configuration, nested objects and lists included', () => {
    const c = brokerConfig(
      { ...minimal(), tls: { ...(minimal()['tls'] as object), cas: ['tls/ca-MH.pem'] } },
      { baseDir: dir },
    );
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.tls)).toBe(true);
    expect(Object.isFrozen(c.limits)).toBe(true);
    expect(Object.isFrozen(c.tls.cas)).toBe(true);
    expect(Object.isFrozen(c.tls.crls)).toBe(true);
    expect(() => {
      (c as { listen: string }).listen = '0.0.0.0:1';
    }).toThrow(TypeError);
    expect(c.listen).toBe('127.0.0.1:7443');
  });

  it('does not change the input object', () => {
    const input = minimal();
    const copy = structuredClone(input);
    brokerConfig(input, { baseDir: dir, env: { CCTNS_BROKER_LISTEN: '1.2.3.4:5' } });
    expect(input).toEqual(copy);
  });
});

describe('brokerConfig names each invalid field in CONFIG_INVALID', () => {
  it('a missing identity', () => {
    const { identity: _gone, ...rest } = minimal();
    expect(configError(rest).message).toBe('config field identity: must be a non-empty string');
  });

  it('a malformed identity', () => {
    expect(configError({ ...minimal(), identity: 'broker/XX' }).message).toMatch(
      /^config field identity: .*XX/,
    );
  });

  it('a malformed identity from the environment', () => {
    expect(configError(minimal(), { CCTNS_BROKER_IDENTITY: 'brokr/MH' }).message).toMatch(
      /^config field identity: /,
    );
  });

  it.each(['station/MH/PUNE/PS1', 'hq/MH/duty1', 'agency/CBI/HQ'])(
    'a non-broker identity %s',
    (identity) => {
      expect(configError({ ...minimal(), identity }).message).toBe(
        'config field identity: must be a broker identity such as broker/MH',
      );
    },
  );

  it.each([
    ['listen', 'localhost'],
    ['listen', '127.0.0.1:'],
    ['listen', '127.0.0.1:70000'],
    ['listen', 'http://127.0.0.1:7443'],
    ['enrollListen', 'anywhere'],
    ['httpListen', '::1:9464'],
  ])('a bad %s address %s', (field, value) => {
    expect(configError({ ...minimal(), [field]: value }).message).toBe(
      `config field ${field}: must be host:port`,
    );
  });

  it('a bad listen address from the environment', () => {
    expect(configError(minimal(), { CCTNS_BROKER_LISTEN: '7443' }).message).toBe(
      'config field listen: must be host:port',
    );
  });

  it.each(['cert', 'key', 'root'])('a missing tls.%s file', (field) => {
    const tls = { ...(minimal()['tls'] as Record<string, string>), [field]: 'tls/absent.pem' };
    const err = configError({ ...minimal(), tls });
    expect(err.message).toBe(
      `config field tls.${field}: file ${join(dir, 'tls', 'absent.pem')} does not exist`,
    );
  });

  it('no tls block at all', () => {
    const { tls: _gone, ...rest } = minimal();
    expect(configError(rest).message).toBe('config field tls.cert: must be a non-empty string');
  });

  it('a non-string entry in tls.cas', () => {
    const tls = { ...(minimal()['tls'] as object), cas: ['tls/ca-MH.pem', 42] };
    expect(configError({ ...minimal(), tls }).message).toBe(
      'config field tls.cas[1]: must be a non-empty string',
    );
  });

  it.each(['postgres://x', 'broker.db', 'mongo://db.mh.police.in/cctns', 'sqlite:'])(
    'a store that is neither sqlite:<path> nor a MongoDB URI: %s',
    (store) => {
      expect(configError({ ...minimal(), store }).message).toMatch(
        /^config field store: (must be sqlite:<path> or a mongodb:\/\/ or mongodb\+srv:\/\/ URI|sqlite: needs a file name)$/,
      );
    },
  );

  it.each([
    ['mongodb://cctns:hunter2@db1:27017,,db2/cctns', /invalid host list/],
    ['mongodb://cctns:hunter2@db1/bad.name', /invalid database/],
    ['mongodb+srv://cctns:hunter2@a:27017/x', /one host name/],
    ['mongodb://cctns:hunter2@db1 /x', /must be mongodb/],
  ])('a bad MongoDB URI, named without its password: %s', (store, why) => {
    const err = configError({ ...minimal(), store });
    expect(err.message).toMatch(/^config field store: the MongoDB URI /);
    expect(err.message).toMatch(why);
    expect(err.message).not.toContain('hunter2');
  });

  it.each(['fast', 'FULL', 'off'])('a bad durability %s', (durability) => {
    expect(configError({ ...minimal(), durability }).message).toBe(
      "config field durability: must be 'normal' or 'full'",
    );
  });

  it('takes nats.replicas 1, 3 or 5 and refuses any other', () => {
    const nats = { servers: ['nats://a:4222', 'nats://b:4222', 'nats://c:4222'] };
    expect(brokerConfig({ ...minimal(), nats }, { baseDir: dir, env: {} }).nats?.replicas).toBe(1);
    expect(
      brokerConfig({ ...minimal(), nats: { ...nats, replicas: 3 } }, { baseDir: dir, env: {} }).nats
        ?.replicas,
    ).toBe(3);
    expect(configError({ ...minimal(), nats: { ...nats, replicas: 2 } }).message).toMatch(
      /^config field nats.replicas: must be 1, 3 or 5/,
    );
  });

  it('a bad durability from the environment', () => {
    expect(configError(minimal(), { CCTNS_BROKER_DURABILITY: 'none' }).message).toMatch(
      /^config field durability/,
    );
  });

  it.each([
    ['maxMessageBytes', 0],
    ['maxMessageBytes', -1],
    ['ratePerSecond', 0],
    ['ratePerSecond', Number.POSITIVE_INFINITY],
    ['burst', -5],
    ['burst', '100'],
    ['burst', Number.NaN],
  ])('a non-positive or non-numeric limits.%s (%s)', (field, value) => {
    expect(configError({ ...minimal(), limits: { [field]: value } }).message).toBe(
      `config field limits.${field}: must be a positive number`,
    );
  });

  it('an empty trustDomain', () => {
    expect(configError({ ...minimal(), trustDomain: '' }).message).toBe(
      'config field trustDomain: must be a non-empty string',
    );
  });

  it('a pkiDir without a CA passphrase', () => {
    const err = configError({ ...minimal(), pkiDir: 'pki' });
    expect(err.message).toBe(
      'config field pkiDir: needs the CA passphrase in CCTNS_CA_PASSPHRASE_MH or CCTNS_CA_PASSPHRASE',
    );
  });

  it('a pkiDir with only another state’s CA passphrase', () => {
    expect(
      configError({ ...minimal(), pkiDir: 'pki' }, { CCTNS_CA_PASSPHRASE_KA: 'x' }).message,
    ).toMatch(/^config field pkiDir: /);
  });
});

describe('loadBrokerConfig', () => {
  it('reads a JSON file and resolves its paths against the file’s folder', () => {
    const file = join(dir, 'broker.json');
    writeFileSync(file, JSON.stringify({ ...minimal(), store: 'sqlite:mh.db' }));
    const c = loadBrokerConfig(file, { CCTNS_BROKER_LISTEN: '127.0.0.1:0' });
    expect(c.tls.cert).toBe(join(dir, 'tls', 'broker.pem'));
    expect(c.store).toBe(`sqlite:${join(dir, 'mh.db')}`);
    expect(c.listen).toBe('127.0.0.1:0');
  });

  it('refuses a file that is not JSON with CONFIG_INVALID naming the file', () => {
    const file = join(dir, 'broken.json');
    writeFileSync(file, '{ identity: broker/MH');
    const err = (() => {
      try {
        loadBrokerConfig(file, {});
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(BrokerError);
    expect((err as BrokerError).code).toBe('CONFIG_INVALID');
    expect((err as BrokerError).message).toContain(`cannot read config ${file}`);
  });

  it('refuses a missing file with CONFIG_INVALID', () => {
    expect(() => loadBrokerConfig(join(dir, 'absent.json'), {})).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
  });
});

describe('brokerConfig notify', () => {
  const notify = (over: Record<string, unknown> = {}) => ({
    contacts: 'contacts.json',
    escalation: 'escalation.json',
    ...over,
  });

  it('resolves the data files, applies rates and takes secrets from the environment only', () => {
    const c = brokerConfig(
      {
        ...minimal(),
        notify: notify({
          sms: { accountSid: 'AC1', from: '+15005550006' },
          email: { host: 'smtp.example', port: 587, user: 'alerts', from: 'alerts@example.in' },
        }),
      },
      { baseDir: dir, env: { CCTNS_TWILIO_AUTH_TOKEN: 'tok', CCTNS_SMTP_PASSWORD: 'pw' } },
    );
    expect(c.notify).toMatchObject({
      contacts: join(dir, 'contacts.json'),
      tickSeconds: 15,
      sms: { authToken: 'tok', ratePerSecond: 1 },
      email: { password: 'pw', ratePerSecond: 5 },
    });
  });

  it('refuses SMS without the auth token in the environment', () => {
    expect(
      configError({
        ...minimal(),
        notify: notify({
          sms: { accountSid: 'AC1', from: '+15005550006', authToken: 'in-the-file' },
        }),
      }).message,
    ).toMatch(/CCTNS_TWILIO_AUTH_TOKEN/);
  });

  it('refuses SMS without a sender', () => {
    expect(
      configError(
        { ...minimal(), notify: notify({ sms: { accountSid: 'AC1' } }) },
        { CCTNS_TWILIO_AUTH_TOKEN: 't' },
      ).message,
    ).toMatch(/notify\.sms/);
  });

  it('names a missing data file field', () => {
    expect(configError({ ...minimal(), notify: { escalation: 'e.json' } }).message).toMatch(
      /notify\.contacts/,
    );
  });
});

describe('brokerConfig: the store', () => {
  const uri =
    'mongodb://cctns:s3cret@db1.mh.police.in:27017,db2.mh.police.in:27017/?replicaSet=rs0';

  it('is SQLite by default, resolved against the config file', () => {
    expect(brokerConfig(minimal(), { baseDir: dir }).store).toBe(
      `sqlite:${join(dir, 'broker.db')}`,
    );
  });

  it('takes a MongoDB URI from the file as it is', () => {
    expect(brokerConfig({ ...minimal(), store: uri }, { baseDir: dir }).store).toBe(uri);
    const srv = 'mongodb+srv://cctns:pw@cluster0.police.in/cctns_mh?retryWrites=true';
    expect(brokerConfig({ ...minimal(), store: srv }, { baseDir: dir }).store).toBe(srv);
  });

  it('takes MONGODB_URI over the file', () => {
    const c = brokerConfig(
      { ...minimal(), store: 'sqlite:mh.db' },
      { baseDir: dir, env: { MONGODB_URI: uri } },
    );
    expect(c.store).toBe(uri);
  });

  it('takes CCTNS_BROKER_STORE over MONGODB_URI, and ignores empty variables', () => {
    expect(
      brokerConfig(minimal(), {
        baseDir: dir,
        env: { MONGODB_URI: uri, CCTNS_BROKER_STORE: 'sqlite:other.db' },
      }).store,
    ).toBe(`sqlite:${join(dir, 'other.db')}`);
    expect(
      brokerConfig(
        { ...minimal(), store: 'sqlite:mh.db' },
        { baseDir: dir, env: { MONGODB_URI: '', CCTNS_BROKER_STORE: '' } },
      ).store,
    ).toBe(`sqlite:${join(dir, 'mh.db')}`);
  });

  it('refuses a bad MONGODB_URI naming the store field, without the password', () => {
    const err = configError(minimal(), { MONGODB_URI: 'mongodb://u:s3cret@/x' });
    expect(err.message).toMatch(/^config field store: the MongoDB URI/);
    expect(err.message).not.toContain('s3cret');
  });
});
