import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from './metrics.js';
import { processMetrics } from './process-metrics.js';

/**
 * Starts the health and metrics endpoint: `GET /healthz` (JSON) and `GET /metrics` (Prometheus:
 * the broker's metrics, then the process's memory and CPU).
 */
export async function startOpsServer(
  listen: string,
  metrics: Metrics,
  health: () => Record<string, unknown>,
  /** More endpoints by path (e.g. `/twilio/status`), whatever the method; they answer themselves. */
  routes: Record<string, RequestListener> = {},
): Promise<{ server: Server; address: string }> {
  const server = createServer((req, res) => {
    const route = routes[(req.url ?? '').split('?')[0]!];
    if (route) {
      route(req, res);
    } else if (req.method === 'GET' && req.url === '/healthz') {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: 'ok', ...health() }));
    } else if (req.method === 'GET' && req.url === '/metrics') {
      res
        .writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
        .end(metrics.render() + processMetrics());
    } else {
      res
        .writeHead(404, { 'content-type': 'text/plain' })
        .end('not found: try /healthz or /metrics\n');
    }
  });
  const idx = listen.lastIndexOf(':');
  const host = listen.slice(0, idx).replace(/^\[|\]$/g, '');
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(listen.slice(idx + 1)), host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  return { server, address: `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}` };
}
