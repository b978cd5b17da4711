import { createRequire } from 'node:module';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';

/**
 * The worker's code (CommonJS, run with `eval`, so the same text serves the sources and the
 * build): its own connection to the database file, a passive WAL checkpoint every `everyMs`.
 * A passive checkpoint never blocks the writer; it copies what is committed into the database
 * file and syncs it, which is the slow part of keeping a WAL short.
 */
const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
const pass = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message) });
  }
};
const timer = setInterval(pass, workerData.everyMs);
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  try { db.close(); } catch {}
  parentPort.close();
});
`;

/**
 * Keeps an SQLite database's write-ahead log short from a thread of its own, so the thread that
 * appends never pays for checkpoints (with SQLite's automatic checkpoint, every few thousand
 * pages one commit copies the log into the database and syncs it: in the ingest profile about a
 * tenth of a broker's CPU). The appending connection turns its automatic checkpoint off.
 */
export class Checkpointer {
  private readonly worker: Worker;

  constructor(path: string, everyMs: number, onError: (message: string) => void) {
    const module = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER, { eval: true, workerData: { path, everyMs, module } });
    this.worker.on('message', (m: { error?: string }) => m.error && onError(m.error));
    this.worker.on('error', (err) => onError(err.message));
    // It never keeps a process alive by itself.
    this.worker.unref();
  }

  /** Stops the thread (its connection closed first), waiting at most a few seconds. */
  async stop(): Promise<void> {
    const exited = once(this.worker, 'exit').catch(() => undefined);
    this.worker.postMessage('stop');
    const timer = setTimeout(() => void this.worker.terminate(), 3_000);
    await exited;
    clearTimeout(timer);
  }
}
