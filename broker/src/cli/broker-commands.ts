import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import {
  createCsr,
  generateRsaKeyPair,
  parseIdentity,
  Pki,
  privateKeyToPem,
  writeSecretFile,
  writePublicFile,
} from '@cctns/pki';
import { caPassphrase, collect, outputOf, untilStopSignal, type Output } from '@cctns/pki/cli';
import { pino } from 'pino';
import { natsServerConfig } from '../backbone/nats-config.js';
import { Broker } from '../broker.js';
import { BROKER_DEFAULTS, loadBrokerConfig, type BrokerConfig } from '../config/config.js';
import { offlineChecks } from '../ops/preflight.js';
import { describeStore } from '../store/open.js';
import { formatChecks } from './doctor-command.js';
import { BrokerError } from '../errors.js';
import { registerStoreCommands } from './store-commands.js';

/** `broker start --check`: the offline checks; a failure is the configuration's error. */
function checkOnly(config: Readonly<BrokerConfig>, file: string, out: Output): void {
  const checks = offlineChecks(config, new Date());
  const failed = checks.filter((c) => c.status === 'fail');
  if (failed.length)
    throw new BrokerError(
      'CONFIG_INVALID',
      `${file}: ${failed.map((c) => `${c.name}: ${c.detail}${c.fix ? ` (fix: ${c.fix})` : ''}`).join('; ')}`,
    );
  const summary = {
    config: resolve(file),
    identity: config.identity,
    replica: config.replica,
    listen: config.listen,
    enrollListen: config.enrollListen,
    httpListen: config.httpListen,
    store: describeStore(config),
    nats: config.nats,
    checks,
  };
  out.result(
    [
      `${file}: configuration valid for ${config.identity} (replica ${config.replica})`,
      `  gRPC ${config.listen}, enrollment ${config.enrollListen ?? 'off'}, health ${config.httpListen ?? 'off'}`,
      `  store ${summary.store}`,
      `  backbone ${config.nats ? `NATS ${config.nats.servers.join(', ')} (stream ${config.nats.stream}, ${config.nats.replicas} replica${config.nats.replicas === 1 ? '' : 's'})` : 'in-process (alone)'}`,
      formatChecks(checks)
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n'),
      `Not checked here: ports, NATS and the clock (cctns doctor --config ${file})`,
    ].join('\n'),
    summary,
  );
}

/** Registers `cctns broker …` on the umbrella program. */
export function registerBrokerCommands(program: Command): Command {
  const group = program
    .command('broker')
    .description(
      'state broker: the mTLS gRPC edge for stations, enrollment, directory, health and metrics',
    );

  group
    .command('start')
    .description('run a broker until SIGINT/SIGTERM (logs are JSON lines on stdout)')
    .requiredOption(
      '--config <file>',
      'broker config (JSON); CCTNS_BROKER_* variables override fields',
    )
    .addOption(
      new Option('--log-level <level>', 'log level')
        .choices(['error', 'warn', 'info', 'debug'])
        .default('info'),
    )
    .option(
      '--check',
      'dry run: validate the configuration, certificates, key and store path, print a summary and exit',
    )
    .action(async (opts: { config: string; logLevel: string; check?: boolean }, cmd: Command) => {
      const out = outputOf(cmd);
      const config = loadBrokerConfig(opts.config, process.env);
      if (opts.check) return checkOnly(config, opts.config, out);
      const stopped = untilStopSignal();
      const broker = await Broker.start(config, { logger: pino({ level: opts.logLevel }) });
      out.note(
        `broker ${config.identity} listening: gRPC ${broker.addresses.grpc}, enrollment ${broker.addresses.enroll ?? 'off'}, health ${broker.addresses.http ?? 'off'}`,
      );
      if (out.json)
        process.stdout.write(
          `${JSON.stringify({ ready: true, identity: config.identity, ...broker.addresses })}\n`,
        );
      await stopped;
      await broker.stop();
    });

  group
    .command('init')
    .description('issue a broker certificate from a local PKI and write a ready-to-run config')
    .requiredOption('--identity <identity>', 'broker identity, e.g. broker/MH')
    .requiredOption(
      '--out <dir>',
      'directory for broker.json, key.pem (0600), cert.pem, root.pem and the database',
    )
    .addOption(
      new Option('--pki-dir <dir>', 'PKI directory')
        .env('CCTNS_PKI_DIR')
        .default(join('data', 'pki')),
    )
    .option('--listen <host:port>', 'mutual-TLS gRPC address', BROKER_DEFAULTS.listen)
    .option('--enroll-listen <host:port>', 'enrollment address ("" to disable)', '127.0.0.1:7444')
    .option(
      '--http-listen <host:port>',
      'health and metrics address ("" to disable)',
      BROKER_DEFAULTS.httpListen,
    )
    .option('--dns <name>', 'DNS name in the certificate (repeatable)', collect, [])
    .option('--ip <address>', 'IP address in the certificate (repeatable)', collect, [])
    .option('--no-enroll', 'do not point the broker at the PKI (no network enrollment or renewal)')
    .action(
      async (
        opts: {
          identity: string;
          out: string;
          pkiDir: string;
          listen: string;
          enrollListen: string;
          httpListen: string;
          dns: string[];
          ip: string[];
          enroll: boolean;
        },
        cmd: Command,
      ) => {
        const out = outputOf(cmd);
        const id = parseIdentity(opts.identity);
        if (id.kind !== 'broker')
          throw new BrokerError('CONFIG_INVALID', `${opts.identity} is not a broker identity`);
        const caName = id.state === 'national' ? 'CENTRAL' : id.state;
        const pki = Pki.open(resolve(opts.pkiDir));
        try {
          const ca = pki.unlockCa(caName, await caPassphrase(caName));
          const dir = resolve(opts.out);
          mkdirSync(dir, { recursive: true, mode: 0o700 });
          const keys = await generateRsaKeyPair();
          const { token } = await ca.createToken(opts.identity, { dns: opts.dns, ip: opts.ip });
          const issued = await ca.issue({
            csrPem: createCsr(opts.identity, pki.trustDomain, keys),
            token,
          });
          writeSecretFile(join(dir, 'key.pem'), privateKeyToPem(keys.privateKey), {
            overwrite: true,
          });
          writePublicFile(join(dir, 'cert.pem'), issued.chainPem);
          writePublicFile(join(dir, 'root.pem'), pki.root.toString());
          const config = {
            identity: opts.identity,
            trustDomain: pki.trustDomain,
            listen: opts.listen,
            enrollListen: opts.enroll ? opts.enrollListen || null : null,
            httpListen: opts.httpListen || null,
            tls: { cert: 'cert.pem', key: 'key.pem', root: 'root.pem' },
            pkiDir: opts.enroll ? resolve(opts.pkiDir) : null,
            store: 'sqlite:broker.db',
          };
          writeFileSync(join(dir, 'broker.json'), `${JSON.stringify(config, null, 2)}\n`);
          out.result(
            [
              `Broker ${opts.identity} ready in ${dir}`,
              `  certificate serial ${issued.serial}, valid until ${issued.notAfter.toISOString()}`,
              `Start it: cctns broker start --config ${join(dir, 'broker.json')}`,
            ].join('\n'),
            {
              identity: opts.identity,
              dir,
              config: join(dir, 'broker.json'),
              serial: issued.serial,
              notAfter: issued.notAfter.toISOString(),
            },
          );
        } finally {
          pki.close();
        }
      },
    );

  group
    .command('nats-config')
    .description(
      'write a nats-server configuration for the backbone: mutual TLS against the PKI root, JetStream',
    )
    .requiredOption('--out <file>', 'configuration file to write (e.g. nats.conf)')
    .option('--listen <host:port>', 'client address of the NATS server', '0.0.0.0:4222')
    .option('--store-dir <dir>', 'JetStream store directory', './jetstream')
    .requiredOption('--ca <file>', 'root certificate client certificates must chain to (root.pem)')
    .requiredOption('--cert <file>', 'server certificate chain, e.g. cert.pem from `broker init`')
    .requiredOption('--key <file>', 'server private key, e.g. key.pem from `broker init`')
    .option('--server-name <name>', 'unique server name (needed once servers form a cluster)')
    .option('--cluster-name <name>', 'make this server a member of the named cluster')
    .option(
      '--cluster-listen <host:port>',
      'address other cluster members connect to',
      '0.0.0.0:6222',
    )
    .option(
      '--routes <host:port,...>',
      'the cluster members (all of them, this one may be included), comma-separated',
    )
    .action(
      (
        opts: {
          out: string;
          listen: string;
          storeDir: string;
          ca: string;
          cert: string;
          key: string;
          serverName?: string;
          clusterName?: string;
          clusterListen: string;
          routes?: string;
        },
        cmd: Command,
      ) => {
        const out = outputOf(cmd);
        if ((opts.clusterName === undefined) !== (opts.routes === undefined))
          throw new BrokerError(
            'CONFIG_INVALID',
            'a cluster member needs both --cluster-name and --routes (the members, host:port,...)',
          );
        const cluster =
          opts.clusterName !== undefined
            ? {
                name: opts.clusterName,
                listen: opts.clusterListen,
                routes: opts
                  .routes!.split(',')
                  .map((r) => r.trim())
                  .filter(Boolean),
              }
            : undefined;
        // nats-server resolves relative paths against its own working directory, not this one's.
        const tls = { ca: resolve(opts.ca), cert: resolve(opts.cert), key: resolve(opts.key) };
        for (const [what, path] of Object.entries(tls))
          if (!existsSync(path))
            throw new BrokerError('CONFIG_INVALID', `--${what} file ${path} does not exist`);
        const storeDir = resolve(opts.storeDir);
        const text = natsServerConfig({
          listen: opts.listen,
          storeDir,
          tls,
          ...(opts.serverName !== undefined ? { serverName: opts.serverName } : {}),
          ...(cluster ? { cluster } : {}),
        });
        const file = resolve(opts.out);
        writePublicFile(file, text);
        out.result(
          [
            `NATS server configuration written to ${file}`,
            `  listen ${opts.listen}, JetStream store ${storeDir}, client certificates required`,
            ...(cluster
              ? [
                  `  cluster ${cluster.name}: routes ${cluster.routes.join(', ')} on ${cluster.listen} (mutual TLS); set nats.replicas: 3 in the brokers' configuration`,
                ]
              : []),
            `Start it: nats-server -c ${file}`,
          ].join('\n'),
          { file, listen: opts.listen, storeDir, tls, ...(cluster ? { cluster } : {}) },
        );
      },
    );
  registerStoreCommands(group);
  return group;
}
