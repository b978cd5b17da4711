import { describe, expect, it } from 'vitest';
import { processMetrics } from './process-metrics.js';

describe('processMetrics', () => {
  it('renders the process memory and CPU as Prometheus samples with HELP and TYPE', () => {
    const text = processMetrics();
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('process_resident_memory_bytes')).toBeGreaterThan(1024 * 1024);
    expect(value('nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(value('nodejs_heap_size_total_bytes')).toBeGreaterThanOrEqual(
      value('nodejs_heap_size_used_bytes'),
    );
    expect(value('nodejs_external_memory_bytes')).toBeGreaterThan(0);
    expect(value('process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(text).toContain('# TYPE process_cpu_seconds_total counter\n');
    for (const l of text.trimEnd().split('\n'))
      expect(l).toMatch(/^(# (HELP|TYPE) [a-z_]+ .+|[a-z_]+ \d+(\.\d+)?(e[+-]?\d+)?)$/);
  });
});
