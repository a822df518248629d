// One bench case in its own process, so process.cpuUsage() and memory are this loader's alone.
// Usage: node dist/bench/worker.js '<json args>'; the last stdout line is `RESULT <json>`.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { isMainThread, Worker, workerData } from 'node:worker_threads';
import cassandra from 'cassandra-driver';
import { realClock } from '../src/clock.js';
import { clientOptions, consistencyCode } from '../src/db/connect.js';
import { insertCql, selectCql } from '../src/db/schema.js';
import { IdLedger } from '../src/load/idLedger.js';
import { AimdLimiter } from '../src/load/limiter.js';
import { Pacer } from '../src/load/pacer.js';
import { Readers, readerSettings } from '../src/load/readers.js';
import { ledgerPicker } from '../src/load/rowPicker.js';
import { shareOf } from '../src/load/threadPool.js';
import { instantClient } from '../src/local/instantClient.js';
import { makeId, newRunIdentity, rowValues, type RunIdentity } from '../src/load/rowContent.js';
import { Writers, writerSettings } from '../src/load/writers.js';
import { createLogger } from '../src/log.js';
import { LoaderProbe } from '../src/metrics/loaderProbe.js';
import { serveMetrics } from '../src/metrics/metricsServer.js';
import { Recorder } from '../src/metrics/recorder.js';
import type { Phase } from '../src/phase.js';
import { renderStatusLine } from '../src/report/statusLine.js';
import { engineCase, type EngineCaseArgs } from './threadCases.js';
import { benchConfig, KEYSPACE, percentile, SEED_RUN, sleep, TABLE, Window } from './common.js';

export interface WorkerArgs {
  mode: 'seed' | 'write-tool' | 'write-base' | 'read-tool' | 'read-base' | 'pace' | 'mem' | 'engine';
  batch?: number;
  inflight?: number;
  rate?: number;
  warmupMs?: number;
  measureMs?: number;
  seedRows?: number;
  memRows?: number[];
  /** Rows per second both write loops are held to (the same gate wraps client.batch in both). */
  rowsPerSec?: number;
  /** Pace against an in-process client that answers at once: the loader's own pacing, no server, no driver. */
  fake?: boolean;
  /** Serve /metrics and have a separate process scrape it every second while measuring (write-tool). */
  metrics?: boolean;
  /** The run's LoadEngine with this many loader threads (mode engine, bench/threadCases.ts). */
  engine?: EngineCaseArgs;
  /**
   * write-base / read-base split over this many worker threads, each its own client at 1/N of the rate and of
   * the in-flight loops: what splitting the same load over threads costs the bare driver itself.
   */
  threads?: number;
}

/** In a thread of a split baseline: where it publishes its counts and learns to stop. */
interface SplitSlot {
  /** [ops of thread 0..N-1, errors of thread 0..N-1, stop flag] */
  shared: Int32Array;
  slot: number;
  threads: number;
}
const split = isMainThread ? null : (workerData as SplitSlot);

const args = JSON.parse(process.argv[2] ?? '{}') as WorkerArgs;
const splitting = isMainThread && (args.threads ?? 1) > 1;
const target = { keyspace: KEYSPACE, table: TABLE, localDc: 'datacenter1', rf: 1 };
const log = createLogger((level, line) => process.stderr.write(`${level} ${line}\n`));
const clock = realClock;

function result(r: unknown): void {
  process.stdout.write(`RESULT ${JSON.stringify(r)}\n`);
}

async function newClient(): Promise<cassandra.Client> {
  const client = new cassandra.Client(clientOptions(benchConfig()));
  await client.connect();
  return client;
}

/** The tool's Recorder wired as run.ts does, plus a status line every report interval and phase changes. */
function toolRecorder(probes: { readTarget?: () => number; readsDue?: () => number; limiter?: AimdLimiter }): {
  recorder: Recorder;
  probe: LoaderProbe;
  stop: () => void;
} {
  const probe = new LoaderProbe();
  const recorder = new Recorder(
    clock,
    {
      readTarget: probes.readTarget ?? (() => 0),
      readsDue: probes.readsDue ?? (() => 0),
      inflight: () => ({ inflight: probes.limiter?.inflight ?? 0, limit: probes.limiter?.limit ?? 0 }),
      loader: () => probe.sample(),
    },
    { kind: 'load-only' },
  );
  const lines: string[] = [];
  const report = setInterval(() => {
    const iv = recorder.tick();
    lines.push(renderStatusLine(iv, 'bench', { color: false }));
    if (lines.length > 100) lines.length = 0;
  }, 5000);
  // Phase changes as a scaler would make them (every 10 s), so phase tagging is part of the measured path.
  let cycle = 0;
  const phases = setInterval(() => {
    cycle++;
    const p: Phase = cycle % 2 ? { kind: 'resizing', cycle, from: 1, to: 2, requestId: null } : { kind: 'steady', cycle, nodes: 1 };
    recorder.setPhase(p);
  }, 10_000);
  return {
    recorder,
    probe,
    stop: () => {
      clearInterval(report);
      clearInterval(phases);
      recorder.finish();
      probe.stop();
    },
  };
}

async function measured(counter: () => number, warmupMs: number, measureMs: number) {
  await sleep(warmupMs);
  const n0 = counter();
  const w = new Window();
  await sleep(measureMs);
  const n = counter() - n0;
  const m = w.end();
  return { ops: n, opsPerSec: (n * 1000) / m.wallMs, cpuUsPerOp: n > 0 ? m.cpuUs / n : 0, ...m };
}

/**
 * The baseline's measured window; in a thread of a split baseline, the thread's counts published every 10 ms
 * until the main thread says stop (the main thread measures, over every thread's counts).
 */
async function baselineWindow(ops: () => number, errors: () => number): Promise<void> {
  if (!split) {
    result({ ...(await measured(ops, args.warmupMs!, args.measureMs!)), errors: errors() });
    return;
  }
  const { shared, slot, threads } = split;
  const publish = (): void => {
    Atomics.store(shared, slot, ops());
    Atomics.store(shared, threads + slot, errors());
  };
  const timer = setInterval(publish, 10);
  await Atomics.waitAsync(shared, 2 * threads, 0).value;
  clearInterval(timer);
  publish();
}

/** write-base or read-base in args.threads worker threads, each with its share; measured here over all. */
async function splitBaseline(): Promise<void> {
  const n = args.threads!;
  const shared = new Int32Array(new SharedArrayBuffer(4 * (2 * n + 1)));
  // Each thread's part, as the tool splits its own over loader threads: the parts add up to the whole.
  const share = (slot: number): WorkerArgs => ({
    ...args,
    threads: 1,
    ...(args.rate !== undefined ? { rate: args.rate / n } : {}),
    ...(args.rowsPerSec !== undefined ? { rowsPerSec: args.rowsPerSec / n } : {}),
    ...(args.inflight !== undefined ? { inflight: shareOf(args.inflight, n, slot, 1) } : {}),
  });
  const sum = (from: number): number => shared.slice(from, from + n).reduce((a, b) => a + b, 0);
  const threads = Array.from({ length: n }, (_, slot) => new Worker(new URL(import.meta.url), { argv: [JSON.stringify(share(slot))], workerData: { shared, slot, threads: n } satisfies SplitSlot }));
  const exited = threads.map((t) => once(t, 'exit'));
  const m = await measured(() => sum(0), args.warmupMs!, args.measureMs!);
  Atomics.store(shared, 2 * n, 1);
  Atomics.notify(shared, 2 * n);
  await Promise.all(exited);
  result({ ...m, errors: sum(n) });
}

/**
 * Holds client.batch to a fixed number of rows per second, the same way for the tool and the baseline: each
 * batch is sent at its slot on one shared schedule (at once when the slot has passed).
 */
function gateWrites(client: cassandra.Client, rowsPerSec: number): void {
  const batch = client.batch.bind(client) as (q: unknown, o: unknown) => Promise<unknown>;
  const t0 = performance.now();
  let rowsScheduled = 0;
  (client as unknown as { batch: unknown }).batch = (queries: unknown[], options: unknown) => {
    const at = t0 + (rowsScheduled * 1000) / rowsPerSec;
    rowsScheduled += queries.length;
    const wait = at - performance.now();
    if (wait <= 0) return batch(queries, options);
    return new Promise((resolve) => setTimeout(resolve, wait)).then(() => batch(queries, options));
  };
}

async function seed(): Promise<void> {
  const client = await newClient();
  const q = insertCql(target);
  const total = args.seedRows ?? 100_000;
  const batch = 50;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total) {
      const start = next;
      const n = Math.min(batch, total - start);
      next += n;
      const queries = [];
      for (let i = 0; i < n; i++) queries.push({ query: q, params: rowValues(SEED_RUN, start + i) });
      await client.batch(queries, { prepare: true, logged: false });
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 16 }, worker));
  result({ rows: total, secs: (performance.now() - t0) / 1000 });
  await client.shutdown();
}

/**
 * The metrics endpoint as run.ts serves it, scraped every second by another process (whose CPU is not this
 * loader's), the fastest interval Prometheus is usually set to; returns the number of scrapes served.
 */
async function scrapedMetrics(recorder: Recorder): Promise<{ scrapes: () => number; stop: () => Promise<void> }> {
  const endpoint = await serveMetrics({ host: '127.0.0.1', port: 0, recorder, clock, loader: 'bench' });
  let scrapes = 0;
  const render = endpoint.exporter.metrics.bind(endpoint.exporter);
  endpoint.exporter.metrics = () => {
    scrapes++;
    return render();
  };
  const scraper = spawn(process.execPath, ['-e', 'setInterval(() => fetch(process.env.URL).then((r) => r.text(), () => {}), 1000)'], {
    env: { ...process.env, URL: endpoint.url },
    stdio: 'ignore',
  });
  return {
    scrapes: () => scrapes,
    stop: async () => {
      scraper.kill();
      await endpoint.close();
    },
  };
}

async function writeTool(): Promise<void> {
  const config = benchConfig();
  const client = args.fake ? instantClient() : await newClient();
  if (args.rowsPerSec) gateWrites(client, args.rowsPerSec);
  const ledger = new IdLedger(config.idPoolSize);
  const limiter = new AimdLimiter(args.inflight!);
  const rec = toolRecorder({ limiter });
  const metrics = args.metrics ? await scrapedMetrics(rec.recorder) : null;
  const writers = new Writers({
    client,
    insertCql: insertCql(target),
    consistency: consistencyCode(config.consistency),
    workers: config.writeWorkers,
    batchMin: args.batch!,
    batchMax: args.batch!,
    biasHigh: false,
    batchesPerCycle: config.batchesPerCycle,
    maxAttempts: 6,
    run: newRunIdentity(Date.now()),
    ledger,
    limiter,
    recorder: rec.recorder,
    clock,
    log: log.child('write'),
  });
  writers.start();
  const m = await measured(() => ledger.acknowledgedRows, args.warmupMs!, args.measureMs!);
  writers.stop();
  await writers.drain(10_000);
  rec.stop();
  await metrics?.stop();
  const ov = rec.recorder.overall();
  result({ ...m, batchP99Ms: ov.writes.batchLatency.p99, failedRows: ov.writes.failedRows, retries: ov.writes.retriedErrors, ...(metrics ? { scrapes: metrics.scrapes() } : {}) });
  await client.shutdown();
}

async function writeBase(): Promise<void> {
  const config = benchConfig();
  const client = await newClient();
  if (args.rowsPerSec) gateWrites(client, args.rowsPerSec);
  const q = insertCql(target);
  const consistency = consistencyCode(config.consistency);
  const run = newRunIdentity(Date.now());
  const batch = args.batch!;
  let seq = 0;
  let rows = 0;
  let errors = 0;
  let stop = false;
  const worker = async (): Promise<void> => {
    while (!stop) {
      const queries = [];
      for (let i = 0; i < batch; i++) queries.push({ query: q, params: rowValues(run, seq++) });
      try {
        await client.batch(queries, { prepare: true, logged: false, consistency });
        rows += batch;
      } catch {
        errors++;
      }
    }
  };
  const loops = Promise.all(Array.from({ length: args.inflight! }, worker));
  await baselineWindow(() => rows, () => errors);
  stop = true;
  await loops;
  await client.shutdown();
}

function seededLedger(rows: number, pool: number): IdLedger {
  const ledger = new IdLedger(pool);
  ledger.reserve(rows);
  ledger.acknowledge(0, rows);
  return ledger;
}

/** The tool's Readers against the seeded rows; with `trace`, each read's due time, send time and end time. */
async function readTool(trace: boolean): Promise<void> {
  const config = benchConfig();
  const client = args.fake ? instantClient() : await newClient();
  const rate = args.rate!;
  const ledger = seededLedger(args.seedRows!, config.idPoolSize);
  const pacer = new Pacer(clock, rate);
  const rec = toolRecorder({ readTarget: () => rate, readsDue: () => pacer.dueBy(clock.monotonic()) });
  let completed = 0;
  const recordRead = rec.recorder.recordRead.bind(rec.recorder);
  rec.recorder.recordRead = (a, b) => {
    completed++;
    recordRead(a, b);
  };
  // Tracing: the one dispatcher takes slots and sends in slot order, so the n-th select is the n-th slot.
  const dues: number[] = [];
  const lags: number[] = [];
  const perSecond = new Map<number, number>();
  let service: number[] = [];
  let errors = 0;
  let t0 = 0;
  let tracing = false;
  if (trace) {
    // The readers claim slots a run at a time (SlotRuns): each slot of a run is due a gap after the one before.
    const take = pacer.take.bind(pacer);
    pacer.take = (n = 1) => {
      const d = take(n);
      for (let i = 0; i < n; i++) dues.push(d + (i * 1000) / pacer.ratePerSec);
      return d;
    };
    const execute = client.execute.bind(client) as (...a: unknown[]) => Promise<cassandra.types.ResultSet>;
    let head = 0;
    (client as unknown as { execute: unknown }).execute = (q: string, p: unknown[], o: cassandra.QueryOptions) => {
      const sent = clock.monotonic();
      const due = dues[head++]!;
      if (head > 100_000) {
        dues.splice(0, head);
        head = 0;
      }
      const pr = execute(q, p, o);
      if (tracing) {
        lags.push(sent - due);
        pr.then(
          () => {
            const done = clock.monotonic();
            service.push(done - sent);
            const sec = Math.floor((done - t0) / 1000);
            perSecond.set(sec, (perSecond.get(sec) ?? 0) + 1);
          },
          () => errors++,
        );
      }
      return pr;
    };
  }
  const readers = new Readers({
    client,
    selectCql: selectCql(target),
    consistency: consistencyCode(config.consistency),
    ...readerSettings(config),
    rows: ledgerPicker(ledger, SEED_RUN),
    pacer,
    recorder: rec.recorder,
    clock,
    log: log.child('read'),
  });
  readers.start();
  await sleep(args.warmupMs!);
  t0 = clock.monotonic();
  tracing = true;
  const c0 = completed;
  const w = new Window();
  await sleep(args.measureMs!);
  tracing = false;
  const n = completed - c0;
  const m = w.end();
  readers.stop();
  await readers.drain(10_000);
  rec.stop();
  const ov = rec.recorder.overall();
  const out: Record<string, unknown> = {
    ops: n,
    opsPerSec: (n * 1000) / m.wallMs,
    cpuUsPerOp: n > 0 ? m.cpuUs / n : 0,
    ...m,
    readErrors: ov.reads.errors,
    missing: ov.reads.missing,
    corrupt: ov.reads.corrupt,
  };
  if (trace) {
    const seconds = Math.floor(args.measureMs! / 1000);
    const windows: number[] = [];
    for (let s = 0; s < seconds; s++) windows.push(perSecond.get(s) ?? 0);
    lags.sort((a, b) => a - b);
    service.sort((a, b) => a - b);
    Object.assign(out, {
      windows,
      lagP50Ms: percentile(lags, 50),
      lagP99Ms: percentile(lags, 99),
      lagMaxMs: lags[lags.length - 1] ?? 0,
      serviceP50Ms: percentile(service, 50),
      serviceP99Ms: percentile(service, 99),
      errors,
    });
    service = [];
  }
  result(out);
  await client.shutdown();
}

async function readBase(): Promise<void> {
  const config = benchConfig();
  const client = await newClient();
  const q = selectCql(target);
  const consistency = consistencyCode(config.consistency);
  const rate = args.rate!;
  const rows = args.seedRows!;
  let sent = 0;
  let done = 0;
  let errors = 0;
  let stop = false;
  const start = performance.now();
  const pending = new Set<Promise<unknown>>();
  // Sends whatever fell due since the last tick, every millisecond.
  const tick = (): void => {
    if (stop) return;
    const due = Math.floor(((performance.now() - start) * rate) / 1000);
    while (sent < due) {
      sent++;
      const seq = Math.floor(Math.random() * rows);
      const p = client.execute(q, [makeId(SEED_RUN, seq)], { prepare: true, consistency }).then(
        () => {
          done++;
          pending.delete(p);
        },
        () => {
          errors++;
          pending.delete(p);
        },
      );
      pending.add(p);
    }
    setTimeout(tick, 1);
  };
  tick();
  await baselineWindow(() => done, () => errors);
  stop = true;
  await Promise.all(pending);
  await client.shutdown();
}

/**
 * The loader's own memory: Writers + ledger + recorder + Readers against an in-process fake client whose
 * requests resolve at once (no driver, no server), sampled at the given acknowledged-row counts.
 */
async function mem(): Promise<void> {
  const config = benchConfig();
  const marks = args.memRows!;
  const fake = instantClient();
  const run: RunIdentity = newRunIdentity(Date.now());
  const ledger = new IdLedger(config.idPoolSize);
  const limiter = new AimdLimiter(config.batchInflight);
  const pacer = new Pacer(clock, 1000);
  const rec = toolRecorder({ limiter, readTarget: () => 1000, readsDue: () => pacer.dueBy(clock.monotonic()) });
  const writers = new Writers({
    client: fake,
    insertCql: insertCql(target),
    consistency: 1,
    ...writerSettings(config),
    run,
    ledger,
    limiter,
    recorder: rec.recorder,
    clock,
    log: log.child('write'),
  });
  const readers = new Readers({
    client: fake,
    selectCql: selectCql(target),
    consistency: 1,
    ...readerSettings(config),
    rows: ledgerPicker(ledger, run),
    pacer,
    recorder: rec.recorder,
    clock,
    log: log.child('read'),
  });
  const gc = (globalThis as { gc?: () => void }).gc;
  const snap = (label: string) => {
    const raw = process.memoryUsage();
    gc?.();
    const after = process.memoryUsage();
    return {
      label,
      rows: ledger.acknowledgedRows,
      secs: (performance.now() - t0) / 1000,
      rssMb: raw.rss / 2 ** 20,
      heapUsedMb: raw.heapUsed / 2 ** 20,
      rssAfterGcMb: after.rss / 2 ** 20,
      heapUsedAfterGcMb: after.heapUsed / 2 ** 20,
    };
  };
  const t0 = performance.now();
  const snaps = [snap('start')];
  const w = new Window();
  writers.start();
  readers.start();
  for (const mark of marks) {
    while (ledger.acknowledgedRows < mark) await sleep(20);
    snaps.push(snap(`${(mark / 1e6).toFixed(0)}M rows`));
  }
  const m = w.end();
  writers.stop();
  readers.stop();
  await Promise.all([writers.drain(5000), readers.drain(5000)]);
  rec.stop();
  result({ snaps, rowsPerSec: (ledger.acknowledgedRows * 1000) / m.wallMs, cpuUsPerRow: m.cpuUs / ledger.acknowledgedRows, loop: m.loop, intervals: rec.recorder.intervals.length });
}

const modes: Record<WorkerArgs['mode'], () => Promise<void>> = {
  seed,
  'write-tool': writeTool,
  'write-base': writeBase,
  'read-tool': () => readTool(false),
  pace: () => readTool(true),
  'read-base': readBase,
  mem,
  engine: async () => result(await engineCase(args.engine!, log)),
};

(splitting ? splitBaseline() : modes[args.mode]()).then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`worker ${args.mode} failed: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
