// The loader-thread cases (issue 10): the run's LoadEngine driven as run.ts drives it — a Recorder on the main
// thread, an interval closed in every thread every 5 s (and a phase change every 10 s), spans merged into the
// recorder — with one thread (InProcessLoad, the whole load on the main thread) or several (ThreadedLoad).
// Counts come from the recorder at interval boundaries, so with threads they are exact, not sampled.
import { performance as perf } from 'node:perf_hooks';
import cassandra from 'cassandra-driver';
import { realClock } from '../src/clock.js';
import type { Config } from '../src/config/load.js';
import { clientOptions } from '../src/db/connect.js';
import type { LoadEngine } from '../src/load/engine.js';
import { InProcessLoad } from '../src/load/inProcessLoad.js';
import { newRunIdentity } from '../src/load/rowContent.js';
import { ThreadedLoad } from '../src/load/threadPool.js';
import { instantClient, type InstantClientOptions } from '../src/local/instantClient.js';
import type { Logger } from '../src/log.js';
import { Recorder } from '../src/metrics/recorder.js';
import type { Phase } from '../src/phase.js';
import { renderStatusLine } from '../src/report/statusLine.js';
import { RecorderFeed } from '../src/run/feed.js';
import { benchConfig, KEYSPACE, sleep, TABLE, Window } from './common.js';

const target = { keyspace: KEYSPACE, table: TABLE, localDc: 'datacenter1', rf: 1 };
const REPORT_MS = 5000;

export interface EngineCaseArgs {
  threads: number;
  /** Settings on top of the bench's (SCY_BATCH_MIN, SCY_READ_RPS, ...). */
  env: Record<string, string>;
  /** The in-process stand-in client in every thread instead of a CQL client (the loader alone). */
  standIn?: InstantClientOptions;
  warmupMs: number;
  measureMs: number;
  /** Close an interval every second over the measured span and keep each one's completed reads (pacing). */
  perSecond?: boolean;
}

/** The engine, and the main thread's client when the engine does not own one (InProcessLoad uses the run's). */
function engineFor(a: EngineCaseArgs, config: Config, recorder: Recorder, log: Logger): { load: LoadEngine; client: cassandra.Client | null } {
  const run = newRunIdentity(Date.now());
  if (a.threads === 1) {
    const client = a.standIn ? instantClient(a.standIn, realClock) : new cassandra.Client(clientOptions(config));
    return { load: new InProcessLoad({ client, config, target, run, recorder, clock: realClock, log }), client };
  }
  const load = new ThreadedLoad({
    threads: a.threads,
    config,
    target,
    run,
    clock: realClock,
    log,
    onLoss: (kind, id, detectedBy, detail) => recorder.noteLoss(kind, id, detectedBy, detail),
    onEvent: (e) => recorder.event(e),
    ...(a.standIn ? { standIn: () => a.standIn! } : {}),
  });
  return { load, client: null };
}

export interface EngineCaseResult {
  threads: number;
  rows: number;
  reads: number;
  rowsPerSec: number;
  readsPerSec: number;
  cpuUs: number;
  wallMs: number;
  cpuPercent: number;
  cpuUsPerRow: number;
  cpuUsPerRead: number;
  loop: { p50Ms: number; p99Ms: number; maxMs: number };
  /** The main thread's event-loop utilization over the measured span (with 1 thread it is the loader). */
  mainBusyPercent: number;
  readErrors: number;
  writeErrors: number;
  missing: number;
  corrupt: number;
  responseP99Ms: number;
  serviceP50Ms: number;
  serviceP99Ms: number;
  /** Reads completed in each 1 s interval of the measured span (with perSecond). */
  windows?: number[];
  /** Reads due on the schedule in each of those intervals. */
  dueWindows?: number[];
  loaderThreadsFailed: number;
}

export async function engineCase(a: EngineCaseArgs, log: Logger): Promise<EngineCaseResult> {
  const config = benchConfig(a.env);
  let load: LoadEngine | null = null;
  const recorder = new Recorder(
    realClock,
    {
      readTarget: () => (load?.readsStarted ? config.readRps : 0),
      readsDue: () => load?.readsDue(realClock.monotonic()) ?? 0,
      inflight: () => load?.inflight() ?? { inflight: 0, limit: 0 },
      loader: () => load!.loader(),
    },
    { kind: 'load-only' },
  );
  const made = engineFor(a, config, recorder, log);
  const engine = made.load;
  load = engine;
  const feed = new RecorderFeed((err) => log.error(`recording: ${String(err)}`));
  const lines: string[] = [];
  let ticks = 0;
  // As run.ts: the boundary is drawn in every thread at the call; the spans are absorbed once they are in.
  const boundary = (): Promise<void> => {
    const closing = engine.closeInterval();
    return feed.then(async () => {
      const span = await closing;
      if (span) recorder.absorb(span);
      const iv = recorder.tick();
      lines.push(renderStatusLine(iv, 'bench', { color: false }));
      if (lines.length > 100) lines.length = 0;
      // A phase change every 10 s, as a scaler would make them, so phase tagging is on the measured path.
      if (++ticks % 2 === 0) {
        const p: Phase = ticks % 4 ? { kind: 'resizing', cycle: ticks, from: 1, to: 2, requestId: null } : { kind: 'steady', cycle: ticks, nodes: 1 };
        recorder.setPhase(p);
      }
    });
  };
  await made.client?.connect();
  await engine.start();
  let reporting = true;
  const reporter = (async () => {
    while (reporting) {
      await sleep(REPORT_MS);
      if (reporting) await boundary();
    }
  })();

  await sleep(a.warmupMs);
  const w = new Window();
  const elu = perf.eventLoopUtilization();
  // The instant the first boundary is drawn, not when its spans are in: seconds are counted from there.
  const t0 = performance.now();
  await boundary();
  const start = recorder.overall();
  const windows: number[] = [];
  const dueWindows: number[] = [];
  if (a.perSecond) {
    let due0 = engine.readsDue(realClock.monotonic());
    let done0 = start.reads.completed;
    for (let s = 1; s * 1000 <= a.measureMs; s++) {
      await sleep(Math.max(0, t0 + s * 1000 - performance.now()));
      const due = engine.readsDue(realClock.monotonic());
      await boundary();
      const done = recorder.overall().reads.completed;
      windows.push(done - done0);
      dueWindows.push(due - due0);
      done0 = done;
      due0 = due;
    }
  } else {
    await sleep(a.measureMs);
  }
  const m = w.end();
  const mainBusy = perf.eventLoopUtilization(elu).utilization;
  await boundary();
  const end = recorder.overall();
  reporting = false;
  engine.stop();
  await engine.drain(10_000);
  await boundary();
  recorder.finish();
  await reporter;
  await engine.close();
  await made.client?.shutdown();

  const rows = end.writes.rows - start.writes.rows;
  const reads = end.reads.completed - start.reads.completed;
  const errors = (e: Record<string, number>): number => Object.values(e).reduce((x, y) => x + y, 0);
  const ov = recorder.overall();
  return {
    threads: a.threads,
    rows,
    reads,
    rowsPerSec: (rows * 1000) / m.wallMs,
    readsPerSec: (reads * 1000) / m.wallMs,
    cpuUs: m.cpuUs,
    wallMs: m.wallMs,
    cpuPercent: m.cpuPercent,
    cpuUsPerRow: rows > 0 ? m.cpuUs / rows : 0,
    cpuUsPerRead: reads > 0 ? m.cpuUs / reads : 0,
    loop: m.loop,
    mainBusyPercent: mainBusy * 100,
    readErrors: errors({ ...ov.reads.errors }),
    writeErrors: ov.writes.failedRows,
    missing: ov.reads.missing,
    corrupt: ov.reads.corrupt,
    responseP99Ms: ov.reads.responseLatency.p99,
    serviceP50Ms: ov.reads.serviceLatency.p50,
    serviceP99Ms: ov.reads.serviceLatency.p99,
    ...(a.perSecond ? { windows, dueWindows } : {}),
    loaderThreadsFailed: engine.failures.length,
  };
}
