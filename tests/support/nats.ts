import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { delimiter, join } from 'node:path';
// Imported by path, not from @cctns/broker: the harness needs only this pure function.
import { natsServerConfig } from '../../broker/src/backbone/nats-config.js';
import { tempDir } from './cli.js';
import { freePort } from './processes.js';

/** A nats-server child process started by `startNats`. */
export interface NatsServer {
  /** Client URL, `nats://127.0.0.1:<port>` (the TLS upgrade is negotiated, so no `tls://` needed). */
  url: string;
  port: number;
  /** JetStream store directory; kept across `restart()`. */
  storeDir: string;
  /** The configuration file the server runs with. */
  configFile: string;
  /** Everything the server printed so far (for failure messages). */
  output(): string;
  /** SIGTERM (a clean shutdown: JetStream flushes its state) and wait for the exit. */
  stop(): Promise<void>;
  /** SIGKILL (a crash: nothing is flushed) and wait for the exit. */
  kill(): Promise<void>;
  /** Start again on the same port, configuration and store directory (stops a running one first). */
  restart(): Promise<void>;
}

/** Every server still running, killed when the test process exits so none outlives a test run. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

/** The nats-server binary: on PATH, or where Debian's package puts it. */
export function natsServerBin(): string {
  const candidates = [
    ...(process.env['PATH'] ?? '').split(delimiter).map((d) => join(d, 'nats-server')),
    '/usr/sbin/nats-server',
    '/usr/local/bin/nats-server',
  ];
  const found = candidates.find((p) => p && existsSync(p));
  if (!found)
    throw new Error(
      'nats-server not found on PATH or in /usr/sbin: install it (`apt-get install nats-server`, as .ci/run does) to run the NATS backbone tests',
    );
  return found;
}

/**
 * Starts a nats-server with JetStream on a loopback port, its store in a fresh temporary folder
 * (or `storeDir`). With `tls.dir` (a folder holding root.pem, cert.pem and key.pem of a broker
 * identity, as `provision` writes them) it uses `natsServerConfig`, i.e. the configuration
 * operators deploy: that certificate as server certificate and client certificates required.
 */
export async function startNats(
  opts: {
    tls?: { dir: string };
    port?: number;
    storeDir?: string;
    /** Membership of a cluster: its name, this member's route port, every member's route port. */
    cluster?: { name: string; port: number; routes: number[] };
  } = {},
): Promise<NatsServer> {
  const bin = natsServerBin();
  const dir = tempDir('nats');
  const port = opts.port ?? (await freePort());
  const storeDir = opts.storeDir ?? join(dir, 'jetstream');
  mkdirSync(storeDir, { recursive: true });
  const configFile = join(dir, 'nats.conf');
  const listen = `127.0.0.1:${port}`;
  writeFileSync(
    configFile,
    opts.tls
      ? natsServerConfig({
          listen,
          storeDir,
          tls: {
            ca: join(opts.tls.dir, 'root.pem'),
            cert: join(opts.tls.dir, 'cert.pem'),
            key: join(opts.tls.dir, 'key.pem'),
          },
          maxMemory: '64MB',
          maxFile: '1GB',
          serverName: `test-${port}`,
          ...(opts.cluster
            ? {
                cluster: {
                  name: opts.cluster.name,
                  listen: `127.0.0.1:${opts.cluster.port}`,
                  routes: opts.cluster.routes.map((r) => `127.0.0.1:${r}`),
                },
              }
            : {}),
        })
      : [
          `listen: "${listen}"`,
          `server_name: "test-${port}"`,
          ...(opts.cluster
            ? [
                'cluster {',
                `  name: ${JSON.stringify(opts.cluster.name)}`,
                `  listen: "127.0.0.1:${opts.cluster.port}"`,
                `  routes: [${opts.cluster.routes.map((r) => `"nats://127.0.0.1:${r}"`).join(', ')}]`,
                '}',
              ]
            : []),
          'jetstream {',
          `  store_dir: ${JSON.stringify(storeDir)}`,
          '  max_memory_store: 64MB',
          '  max_file_store: 1GB',
          '}',
          '',
        ].join('\n'),
  );

  let child: ChildProcess | undefined;
  let out = '';
  let exited: Promise<void> = Promise.resolve();

  const launch = async () => {
    const c = spawn(bin, ['-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    running.add(c);
    const collect = (d: Buffer) => {
      out += d.toString();
      // Keep failure messages readable: the tail is what matters.
      if (out.length > 200_000) out = out.slice(-100_000);
    };
    c.stdout!.on('data', collect);
    c.stderr!.on('data', collect);
    let gone = false;
    exited = new Promise<void>((r) =>
      c.once('exit', () => {
        gone = true;
        running.delete(c);
        if (child === c) child = undefined;
        r();
      }),
    );
    c.once('error', (err) => {
      out += `\nspawn failed: ${err.message}`;
    });
    // Ready when it accepts TCP connections (JetStream is enabled before the client listener opens).
    const end = Date.now() + 15_000;
    for (;;) {
      if (gone) throw new Error(`nats-server exited during startup:\n${out}`);
      if (await accepts(port)) return;
      if (Date.now() > end) {
        c.kill('SIGKILL');
        throw new Error(`nats-server did not listen on ${listen} within 15 s:\n${out}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const signal = async (sig: NodeJS.Signals) => {
    const c = child;
    if (!c) return;
    c.kill(sig);
    await exited;
  };

  await launch();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    configFile,
    output: () => out,
    stop: async () => {
      await signal('SIGTERM');
      // The folder is the harness's own (config and, unless given, the store).
      rmSync(dir, { recursive: true, force: true });
    },
    kill: () => signal('SIGKILL'),
    restart: async () => {
      await signal('SIGTERM');
      await launch();
    },
  };
}

/**
 * Starts `size` nats-servers on loopback ports as one cluster (routes among all of them, with
 * the deployment's mutual TLS when `tls` is given), as `cctns broker nats-config --cluster-name`
 * configures them. Brokers connect to every member (`urls`) and set `nats.replicas`.
 */
export async function startNatsCluster(
  size: number,
  opts: { tls?: { dir: string } } = {},
): Promise<{ servers: NatsServer[]; urls: string[]; stop(): Promise<void> }> {
  const clientPorts: number[] = [];
  const routePorts: number[] = [];
  for (let i = 0; i < size; i++) {
    clientPorts.push(await freePort());
    routePorts.push(await freePort());
  }
  const name = `cctns-test-${clientPorts[0]}`;
  const servers = await Promise.all(
    clientPorts.map((port, i) =>
      startNats({
        ...(opts.tls ? { tls: opts.tls } : {}),
        port,
        cluster: { name, port: routePorts[i]!, routes: routePorts },
      }),
    ),
  );
  return {
    servers,
    urls: servers.map((s) => s.url),
    stop: async () => {
      await Promise.all(servers.map((s) => s.stop()));
    },
  };
}

/** True when something accepts a TCP connection on the loopback port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
