import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backbone, BackboneMessage } from './backbone.js';

/** What a conformance run needs from an implementation. */
export interface BackboneHarness {
  /** A new connection (one per broker). */
  connect(): Promise<Backbone>;
  /** Tears everything down. */
  cleanup(): Promise<void>;
}

async function until<T>(check: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The backbone conformance suite: every implementation (NATS JetStream, in-process) must behave
 * the same for the brokers. Each run uses its own subject prefix so runs do not see each other.
 */
export function backboneConformance(
  name: string,
  makeHarness: () => Promise<BackboneHarness>,
): void {
  describe(`Backbone conformance: ${name}`, () => {
    let h: BackboneHarness;
    let a: Backbone;
    let b: Backbone;
    let n = 0;
    const fresh = () => `t${Date.now().toString(36)}${++n}`;

    beforeAll(async () => {
      h = await makeHarness();
      a = await h.connect();
      b = await h.connect();
    }, 60_000);

    afterAll(async () => {
      await a?.close();
      await b?.close();
      await h?.cleanup();
    });

    it('assigns increasing sequence numbers and deduplicates by id', async () => {
      const p = fresh();
      const first = await a.publish(`cctns.v1.MH.${p}`, 'alert', `${p}-1`, 'jws-1');
      const second = await a.publish(`cctns.v1.MH.${p}`, 'alert', `${p}-2`, 'jws-2');
      const again = await b.publish(`cctns.v1.MH.${p}`, 'alert', `${p}-1`, 'jws-1');
      expect(second.seq).toBeGreaterThan(first.seq);
      expect(first.duplicate).toBe(false);
      expect(again).toEqual({ seq: first.seq, duplicate: true });
    });

    it('delivers to a consumer on another connection, in order, only what matches its filter, with kind and payload intact', async () => {
      const p = fresh();
      const jws = 'eyJhbGciOiJQUzI1NiJ9.राम-कुमार.முருகன்';
      await a.publish(`cctns.v1.MH.${p}.x`, 'alert', `${p}-1`, `${jws}-1`);
      await a.publish(`cctns.v1.KA.${p}.x`, 'alert', `${p}-2`, 'not for MH');
      await a.publish(`cctns.v1.MH.${p}.y`, 'receipt', `${p}-3`, `${jws}-3`);
      const got: BackboneMessage[] = [];
      const c = await b.consume(`d-${p}`, `cctns.v1.MH.${p}.>`, async (m) => {
        got.push(m);
      });
      await until(() => (got.length >= 2 ? true : undefined));
      await new Promise((r) => setTimeout(r, 200));
      await c.stop();
      expect(got.map((m) => [m.subject, m.kind, m.jws])).toEqual([
        [`cctns.v1.MH.${p}.x`, 'alert', `${jws}-1`],
        [`cctns.v1.MH.${p}.y`, 'receipt', `${jws}-3`],
      ]);
      expect(got[1]!.seq).toBeGreaterThan(got[0]!.seq);
    });

    it('gives every durable consumer every message (one per broker), and the same sequence numbers to each', async () => {
      const p = fresh();
      const one: BackboneMessage[] = [];
      const two: BackboneMessage[] = [];
      const c1 = await a.consume(`d1-${p}`, `cctns.v1.DL.${p}.>`, async (m) => void one.push(m));
      const c2 = await b.consume(`d2-${p}`, `cctns.v1.DL.${p}.>`, async (m) => void two.push(m));
      for (let i = 0; i < 5; i++)
        await a.publish(`cctns.v1.DL.${p}.s`, 'alert', `${p}-${i}`, `m${i}`);
      await until(() => (one.length === 5 && two.length === 5 ? true : undefined));
      await c1.stop();
      await c2.stop();
      expect(one.map((m) => m.seq)).toEqual(two.map((m) => m.seq));
      expect(one.map((m) => m.jws)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    });

    it('resumes a durable consumer after it stops: no acknowledged message again, nothing missed', async () => {
      const p = fresh();
      const got: string[] = [];
      let c = await b.consume(`dr-${p}`, `cctns.v1.GJ.${p}.>`, async (m) => void got.push(m.jws));
      await a.publish(`cctns.v1.GJ.${p}.s`, 'alert', `${p}-1`, 'before');
      await until(() => (got.length === 1 ? true : undefined));
      await c.stop();
      await a.publish(`cctns.v1.GJ.${p}.s`, 'alert', `${p}-2`, 'while stopped 1');
      await a.publish(`cctns.v1.GJ.${p}.s`, 'alert', `${p}-3`, 'while stopped 2');
      c = await b.consume(`dr-${p}`, `cctns.v1.GJ.${p}.>`, async (m) => void got.push(m.jws));
      // On NATS a message may first be handed to the stopped consumer's still-pending pull
      // request; it comes back after ack_wait (5 s). Late is allowed here, missing is not.
      await until(() => (got.length === 3 ? true : undefined), 40_000);
      await new Promise((r) => setTimeout(r, 300));
      await c.stop();
      expect(got).toEqual(['before', 'while stopped 1', 'while stopped 2']);
    }, 60_000);

    it('delivers again a message whose handler failed, and keeps order', async () => {
      const p = fresh();
      const got: string[] = [];
      let failures = 0;
      await a.publish(`cctns.v1.TN.${p}.s`, 'alert', `${p}-1`, 'first');
      await a.publish(`cctns.v1.TN.${p}.s`, 'alert', `${p}-2`, 'second');
      const c = await b.consume(`df-${p}`, `cctns.v1.TN.${p}.>`, async (m) => {
        if (m.jws === 'first' && failures === 0) {
          failures++;
          throw new Error('store busy');
        }
        got.push(m.jws);
      });
      await until(() => (got.length === 2 ? true : undefined), 40_000);
      await c.stop();
      expect(failures).toBe(1);
      expect(got).toEqual(['first', 'second']);
    }, 60_000);

    it('hands over waiting messages together (at most max), in order, and a failed batch whole again', async () => {
      const p = fresh();
      for (let i = 0; i < 10; i++)
        await a.publish(`cctns.v1.AP.${p}.s`, 'alert', `${p}-${i}`, `m${i}`);
      const sizes: number[] = [];
      const got: string[] = [];
      let failed = false;
      const c = await b.consumeBatches(`db-${p}`, `cctns.v1.AP.${p}.>`, 4, async (batch) => {
        sizes.push(batch.length);
        if (!failed) {
          failed = true;
          throw new Error('store busy');
        }
        got.push(...batch.map((m) => m.jws));
      });
      await until(() => (got.length >= 10 ? true : undefined), 40_000);
      await new Promise((r) => setTimeout(r, 300));
      await c.stop();
      expect(got).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`));
      expect(Math.max(...sizes)).toBeLessThanOrEqual(4);
      // Ten were waiting: they did not come one at a time.
      expect(Math.max(...sizes)).toBeGreaterThan(1);
    }, 60_000);

    it('keeps a log that only grows: ensureAfter passes when the stream is ahead, refuses when a non-empty stream is behind', async () => {
      const p = fresh();
      const { seq } = await a.publish(`cctns.v1.UP.${p}`, 'alert', `${p}-1`, 'x');
      await expect(a.ensureAfter(seq - 1)).resolves.toBeUndefined();
      await expect(a.ensureAfter(seq + 1000)).rejects.toMatchObject({ code: 'BACKBONE_BEHIND' });
    });

    it('answers requests by one responder of a group, with deadlines and a clear error when none answers', async () => {
      const subject = `cctns.lookup.v1.${fresh()}`;
      const seen: string[] = [];
      const enc = (x: string) => new TextEncoder().encode(x);
      const dec = (x: Uint8Array) => new TextDecoder().decode(x);
      const r1 = await a.respond(subject, 'g', async (req) => {
        seen.push('a');
        return enc(`a:${dec(req)}`);
      });
      const r2 = await b.respond(subject, 'g', async (req) => {
        seen.push('b');
        return enc(`b:${dec(req)}`);
      });
      const c = await h.connect();
      try {
        const answers = await Promise.all(
          Array.from({ length: 20 }, (_, i) => c.request(subject, enc(`q${i}`), 5_000)),
        );
        answers.forEach((x, i) => expect(dec(x)).toMatch(new RegExp(`^[ab]:q${i}$`)));
        // One answer per request: the group shares them.
        expect(seen).toHaveLength(20);
        await r1.stop();
        await r2.stop();
        const slow = await a.respond(`${subject}.slow`, 'g', () => new Promise(() => undefined));
        await expect(c.request(`${subject}.slow`, enc('x'), 300)).rejects.toMatchObject({
          code: 'BACKBONE_TIMEOUT',
        });
        await slow.stop();
        await expect(c.request(`${subject}.none`, enc('x'), 2_000)).rejects.toMatchObject({
          code: expect.stringMatching(/^BACKBONE_(NO_RESPONDER|TIMEOUT)$/),
        });
      } finally {
        await c.close();
      }
    });

    it('reports its status and closes', async () => {
      const x = await h.connect();
      expect(x.status()).toBe('connected');
      await x.close();
      expect(x.status()).toBe('closed');
    });
  });
}
