import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../clock.js';
import { PrometheusExporter, type PrometheusExporterOptions } from './prometheus.js';
import type { Recorder } from './recorder.js';

// Serves GET /metrics for Prometheus to scrape. The exporter is fed by the recorder's output stream, so the
// endpoint adds work per interval and per scrape, never per request.

export interface MetricsEndpoint {
  /** The address actually bound, e.g. http://127.0.0.1:9464/metrics. */
  readonly url: string;
  readonly exporter: PrometheusExporter;
  /**
   * Waits until a scrape answered after this call has carried the final figures, for at most `maxMs` and at most
   * twice the gap between the last two scrapes and a second (a scraper that has stopped costs little); at once
   * when nothing has scraped the endpoint yet (no scraper to wait for).
   */
  finalScrape(maxMs: number): { waitMs: number; outcome: Promise<FinalScrape> };
  close(): Promise<void>;
}

/** How the wait for the final scrape ended: scraped, nobody had ever scraped, or the wait ran out. */
export type FinalScrape = 'scraped' | 'no-scraper' | 'timed-out';

export interface ServeMetricsOptions extends Omit<PrometheusExporterOptions, 'phase'> {
  host: string;
  port: number;
  recorder: Recorder;
  clock: Clock;
}

/** Starts the endpoint and subscribes it to the recorder; rejects when the address cannot be bound. */
export async function serveMetrics(o: ServeMetricsOptions): Promise<MetricsEndpoint> {
  const { host, port, recorder, clock, ...rest } = o;
  const exporter = new PrometheusExporter({ ...rest, phase: () => recorder.phase });
  const scrapes = new ScrapeLog(clock);
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: the metrics are at /metrics\n');
      return;
    }
    const asked = clock.monotonic();
    exporter.metrics().then(
      (text) => res.writeHead(200, { 'content-type': exporter.contentType }).end(text, () => scrapes.answered(asked)),
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
    finalScrape: (maxMs) => scrapes.next(maxMs),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // A scraper's keep-alive connection must not hold the run open.
        server.closeAllConnections();
      }),
  };
}

/** When scrapes were asked for, and the one wait for the next (the run's end asks once). */
class ScrapeLog {
  private last: number | null = null;
  private gap: number | null = null;
  private waiting: { since: number; done: () => void } | null = null;

  constructor(private readonly clock: Clock) {}

  /** A scrape asked for at `askedMs` has been written out in full. */
  answered(askedMs: number): void {
    if (this.last !== null && askedMs > this.last) this.gap = askedMs - this.last;
    this.last = Math.max(askedMs, this.last ?? askedMs);
    // Only a scrape asked for after the wait began read the final figures.
    if (this.waiting && askedMs >= this.waiting.since) this.waiting.done();
  }

  next(maxMs: number): { waitMs: number; outcome: Promise<FinalScrape> } {
    if (this.last === null) return { waitMs: 0, outcome: Promise.resolve('no-scraper') };
    // A second's slack: a scraper's own timing wanders, more so on a busy machine.
    const waitMs = Math.min(maxMs, this.gap === null ? maxMs : 2 * this.gap + 1000);
    const scraped = new AbortController();
    this.waiting = { since: this.clock.monotonic(), done: () => scraped.abort() };
    const outcome = this.clock.sleep(waitMs, scraped.signal).then((): FinalScrape => {
      this.waiting = null;
      return scraped.signal.aborted ? 'scraped' : 'timed-out';
    });
    return { waitMs, outcome };
  }
}
