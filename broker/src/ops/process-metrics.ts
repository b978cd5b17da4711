/**
 * The broker process's own memory and CPU in the Prometheus exposition format, under the names
 * prom-client's default collectors use, so dashboards built for Node services read them as is.
 * Read at scrape time: nothing is sampled in the background.
 */
export function processMetrics(): string {
  const mem = process.memoryUsage();
  const cpu = process.cpuUsage();
  const gauges: Array<[string, string, number]> = [
    ['process_resident_memory_bytes', 'Resident memory size in bytes.', mem.rss],
    ['nodejs_heap_size_used_bytes', 'V8 heap in use, bytes.', mem.heapUsed],
    ['nodejs_heap_size_total_bytes', 'V8 heap reserved, bytes.', mem.heapTotal],
    [
      'nodejs_external_memory_bytes',
      'Memory of C++ objects bound to JavaScript (buffers, TLS), bytes.',
      mem.external,
    ],
  ];
  const out: string[] = [];
  for (const [name, help, value] of gauges)
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} ${value}`);
  out.push(
    '# HELP process_cpu_seconds_total Total user and system CPU time spent, seconds.',
    '# TYPE process_cpu_seconds_total counter',
    `process_cpu_seconds_total ${(cpu.user + cpu.system) / 1e6}`,
  );
  return `${out.join('\n')}\n`;
}
