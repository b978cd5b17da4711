import { fork, type ChildProcess } from 'node:child_process';
import { withTimeout } from './report.js';

/** The cursor with which the raw relay's receiver introduces itself (see national-raw-server.ts). */
export const RELAY_RECEIVER_CURSOR = 1e15;

/** An alert a link holder watches for: by its JWS text, on the stations of `states` (all if absent). */
export interface TrackedAlert {
  id: string;
  jws: string;
  states?: string[];
}

/** What the parent asks a link holder; each request carries an id its reply repeats. */
export type HolderRequest = { rid: number } & (
  | { cmd: 'init'; stationsFile: string; index: number; holders: number }
  | {
      cmd: 'open';
      /** Address per state (of a broker or of a raw server). */
      addresses: Record<string, string>;
      reconnect: boolean;
      /** Only these stations (default: all the holder has). */
      only?: string[];
    }
  | { cmd: 'close' }
  | { cmd: 'track'; alerts: TrackedAlert[] }
  | { cmd: 'status'; states?: string[] }
  | { cmd: 'prepare'; senders: string[]; perStation: number; to: string }
  | { cmd: 'send'; window: number }
);

/** What the parent asks a raw server. */
export type RawServerRequest = { rid: number } & (
  | {
      cmd: 'start';
      /** Holder folder of the server's certificate (root.pem, cert.pem, key.pem). */
      tlsDir: string;
      natsUrl: string;
      subject: string;
    }
  | { cmd: 'status' }
);

/** A reply to a request. */
export type HolderReply =
  { rid: number; ok: true; result: unknown } | { rid: number; ok: false; error: string };

/** A holder's unsolicited report: a tracked alert reached all the links that should have it. */
export interface HolderEvent {
  event: 'complete';
  id: string;
  first: number;
  last: number;
  count: number;
}

/** A bench child process (link holder or raw server) spoken to over the IPC channel. */
export class IpcChild {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  private rid = 0;
  private readonly pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();
  private readonly listeners: Array<(e: HolderEvent) => void> = [];
  private stderr = '';

  constructor(
    readonly name: string,
    script: string,
    opts: { heapMb?: number; env?: Record<string, string> } = {},
  ) {
    this.child = fork(script, [], {
      execArgv: [
        '--import',
        'tsx',
        ...(opts.heapMb ? [`--max-old-space-size=${opts.heapMb}`] : []),
      ],
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-20_000);
    });
    this.child.on('message', (m: HolderReply | HolderEvent) => {
      if ('event' in m) for (const l of this.listeners) l(m);
      else {
        const p = this.pending.get(m.rid);
        this.pending.delete(m.rid);
        if (m.ok) p?.resolve(m.result);
        else p?.reject(new Error(`${this.name}: ${m.error}`));
      }
    });
    this.exited = new Promise((r) =>
      this.child.on('exit', (code) => {
        for (const p of this.pending.values())
          p.reject(new Error(`${this.name} exited (${code}) during a request:\n${this.stderr}`));
        this.pending.clear();
        r(code);
      }),
    );
  }

  /** Sends a request and resolves with the child's result. */
  request<T>(req: Record<string, unknown> & { cmd: string }, timeoutMs = 600_000): Promise<T> {
    const rid = ++this.rid;
    const answer = new Promise<T>((resolve, reject) =>
      this.pending.set(rid, { resolve: resolve as (v: unknown) => void, reject }),
    );
    this.child.send({ ...req, rid });
    return withTimeout(answer, timeoutMs, `${this.name} ${req.cmd}`);
  }

  /** Calls `listener` for each unsolicited event; returns a function that stops it. */
  onEvent(listener: (e: HolderEvent) => void): () => void {
    this.listeners.push(listener);
    return () => this.listeners.splice(this.listeners.indexOf(listener), 1);
  }

  /** What the child wrote to stderr lately (for failure messages). */
  errors(): string {
    return this.stderr;
  }

  /** Ends the child: disconnect (it exits by itself), SIGKILL when it has not after 10 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    if (this.child.connected) this.child.disconnect();
    try {
      await withTimeout(this.exited, 10_000, `${this.name} exit`);
    } catch {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}
