import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PrometheusExporter, type PrometheusExporterOptions } from './prometheus.js';
import type { Recorder } from './recorder.js';

// Serves GET /metrics for Prometheus to scrape. The exporter is fed by the recorder's output stream, so the
// endpoint adds work per interval and per scrape, never per request.

export interface MetricsEndpoint {
  /** The address actually bound, e.g. http://127.0.0.1:9464/metrics. */
  readonly url: string;
  readonly exporter: PrometheusExporter;
  close(): Promise<void>;
}

export interface ServeMetricsOptions extends Omit<PrometheusExporterOptions, 'phase'> {
  host: string;
  port: number;
  recorder: Recorder;
}

/** Starts the endpoint and subscribes it to the recorder; rejects when the address cannot be bound. */
export async function serveMetrics(o: ServeMetricsOptions): Promise<MetricsEndpoint> {
  const { host, port, recorder, ...rest } = o;
  const exporter = new PrometheusExporter({ ...rest, phase: () => recorder.phase });
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: the metrics are at /metrics\n');
      return;
    }
    exporter.metrics().then(
      (text) => res.writeHead(200, { 'content-type': exporter.contentType }).end(text),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err instanceof Error ? err.message : String(err)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  recorder.addOutput(exporter);
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${shownHost}:${addr.port}/metrics`,
    exporter,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A scraper's keep-alive connection must not hold the run open.
        server.closeAllConnections();
      }),
  };
}
