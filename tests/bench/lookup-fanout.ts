import type { Backbone } from '@cctns/broker';
import { STATE_CODES } from '@cctns/pki';
import { nowMs } from './report.js';

/**
 * The national broker's side of a lookup's fan-out, seen by wrapping its backbone: when the first
 * and the last of the 36 states answered after the first was asked.
 */

/**
 * Times the national broker's requests to each state over the backbone (from the fan-out's start,
 * which is when the first state of a lookup is asked).
 */
export class FanoutClock {
  private first: number[] = [];
  private last: number[] = [];
  private open = new Map<string, { start: number; answered: number[] }>();

  /** The national broker's backbone, its requests timed. */
  wrap(backbone: Backbone): Backbone {
    return new Proxy(backbone, {
      get: (target, prop, receiver) => {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (prop !== 'request' || typeof value !== 'function')
          return typeof value === 'function' ? value.bind(target) : value;
        return async (subject: string, payload: Uint8Array, timeoutMs: number) => {
          // All 36 requests of one lookup are made in the same tick with the same payload.
          const key = Buffer.from(payload).toString('base64').slice(-64);
          let fan = this.open.get(key);
          if (!fan) {
            fan = { start: nowMs(), answered: [] };
            this.open.set(key, fan);
          }
          try {
            return await target.request(subject, payload, timeoutMs);
          } finally {
            fan.answered.push(nowMs() - fan.start);
            if (fan.answered.length === STATE_CODES.length) {
              this.first.push(Math.min(...fan.answered));
              this.last.push(Math.max(...fan.answered));
              this.open.delete(key);
            }
          }
        };
      },
    });
  }

  /** Forgets what was timed (before a measured phase). */
  reset(): void {
    this.first = [];
    this.last = [];
    this.open.clear();
  }

  /** Per lookup, ms until the first state answered. */
  firsts(): number[] {
    return this.first;
  }

  /** Per lookup, ms until the last state answered. */
  lasts(): number[] {
    return this.last;
  }
}
