// A real Prometheus server (Debian's `prometheus` package) for tests: its own config and storage in a temp
// folder, a free loopback port, scraping one target every second. The package's service is not used.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function freeLoopbackPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

export function prometheusInstalled(): boolean {
  return spawnSync('prometheus', ['--version'], { stdio: 'ignore' }).status === 0;
}

export interface PromSeries {
  metric: Record<string, string>;
  /** [unix seconds, value as text] pairs. */
  values?: [number, string][];
  value?: [number, string];
}

export interface TestPrometheus {
  url: string;
  /** An instant query; throws on an API error. */
  query(expr: string, atSec?: number): Promise<PromSeries[]>;
  queryRange(expr: string, startSec: number, endSec: number, stepSec: number): Promise<PromSeries[]>;
  stop(): Promise<void>;
}

export async function startPrometheus(targetPort: number): Promise<TestPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'srt-prometheus-'));
  const port = await freeLoopbackPort();
  writeFileSync(
    join(dir, 'prometheus.yml'),
    [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      '  evaluation_interval: 1s',
      'scrape_configs:',
      '  - job_name: scylla-resize-test',
      '    static_configs:',
      `      - targets: ['127.0.0.1:${targetPort}']`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(
    'prometheus',
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}: ${log}`);
    const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus was not ready within 30 s: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const api = async (path: string, params: Record<string, string>): Promise<PromSeries[]> => {
    const res = await fetch(`${url}/api/v1/${path}?${new URLSearchParams(params)}`);
    const body = (await res.json()) as { status: string; error?: string; data?: { result: PromSeries[] } };
    if (body.status !== 'success') throw new Error(`${path} ${JSON.stringify(params)}: ${body.error ?? res.status}`);
    return body.data!.result;
  };
  return {
    url,
    query: (expr, atSec) => api('query', { query: expr, ...(atSec !== undefined ? { time: String(atSec) } : {}) }),
    queryRange: (expr, start, end, step) => api('query_range', { query: expr, start: String(start), end: String(end), step: String(step) }),
    stop,
  };
}
