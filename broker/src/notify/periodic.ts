import type { Logger } from 'pino';

/**
 * A pass that runs now (`tick`) or every so often (`start`), never twice at once: a tick that
 * arrives during a pass gets that pass's result. Stopping waits for a pass under way.
 */
export class PeriodicPass {
  private running: Promise<number> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pass: () => Promise<number>,
    private readonly logger: Logger,
    private readonly what: string,
  ) {}

  /** Runs a pass (or joins the one under way); resolves with its count. */
  tick(): Promise<number> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Ticks every `intervalMs` until stopped; a failed pass is logged and the next one runs. */
  start(intervalMs: number): void {
    this.timer ??= setInterval(
      () =>
        void this.tick().catch((err: unknown) => this.logger.error({ err }, `${this.what} failed`)),
      intervalMs,
    );
    this.timer.unref();
  }

  /** Stops ticking and waits for a pass under way. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
