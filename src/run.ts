import { join } from 'node:path';
import cassandra from 'cassandra-driver';
import type { Clock } from './clock.js';
import type { Config } from './config/load.js';
import { connect } from './db/connect.js';
import { describeError } from './db/errors.js';
import type { LoadEngine } from './load/engine.js';
import type { DrainResult } from './load/loader.js';
import { shardShare } from './config/shard.js';
import { shardBaseIdentity } from './load/shardIdentity.js';
import type { Logger } from './log.js';
import { serveMetrics, type MetricsEndpoint } from './metrics/metricsServer.js';
import { loaderLabel } from './metrics/prometheus.js';
import { EXIT } from './verdict/exitCodes.js';
import type { RunSummary, VerificationReport } from './metrics/types.js';
import type { Phase } from './phase.js';
import { renderStatusLine } from './report/statusLine.js';
import { renderSummaryTable } from './report/summaryTable.js';
import { writeRunReports } from './report/writeReports.js';
import { RecorderFeed } from './run/feed.js';
import { loadFor, loaderThreadsChoice } from './run/loadFor.js';
import { observe, type Observers } from './run/observe.js';
import { phaseFollowerFor, scalerFor } from './run/scalerFor.js';
import { setUp, type Session } from './run/setUp.js';
import { summarize } from './run/summarize.js';
import { readerSettings } from './load/readers.js';
import type { PhaseFollower } from './scaler/phaseFollower.js';
import type { Scaler, ScalerOutcome } from './scaler/scaler.js';
import { keepShardRecord } from './shard/record.js';

export interface RunDeps {
  clock: Clock;
  log: Logger;
  /** Where the status lines and summary table go. */
  print: (text: string) => void;
  color: boolean;
  /** Aborts when the user asks to stop (first Ctrl+C / SIGTERM). */
  stopSignal: AbortSignal;
  version: string;
  /** Test seam: how the main thread's client is made (a fake client in tests on the fake clock). */
  connect?: (config: Config) => Promise<cassandra.Client>;
  /** Test seam: runs after the drain, before the verification sweep (e.g. to delete rows behind the tool's back). */
  beforeVerify?: (client: cassandra.Client) => Promise<void>;
}

export interface RunResult {
  exitCode: number;
  summary: RunSummary | null;
  runDir: string | null;
}

/** What one run is made of once it is wired: the parts set up, observed and driven until the end. */
interface Wired {
  session: Session;
  obs: Observers;
  feed: RecorderFeed;
  load: LoadEngine;
  scaler: Scaler | null;
  /** On the shards that do not drive the scaler: the phase as read from the Cloud API. */
  follower: PhaseFollower | null;
  stop: AbortSignal;
  requestStop: (why: string) => boolean;
  stopReason: () => string;
}

interface Driven {
  scalerOutcome: ScalerOutcome | null;
  left: DrainResult;
}

// A run has four steps: set up (folder, client, schema), wire (recorder and its listeners, the load, the scaler),
// run (report every interval until asked to stop, then drain), finish (verify, judge, report).
export async function runTool(runConfig: Config, deps: RunDeps): Promise<RunResult> {
  // A shard offers its share of the run's load; a one-process run is its own only shard.
  const config = shardShare(runConfig);
  const session = await setUp(config, new Date(deps.clock.now()), deps.connect ?? connect, deps.log);
  if (!session) return { exitCode: EXIT.setupFailed, summary: null, runDir: null };
  const wired = wire(config, deps, session);
  let metrics: MetricsEndpoint | null = null;
  try {
    metrics = await startMetrics(config, deps, wired);
    await wired.load.start();
  } catch (err) {
    deps.log.error(err instanceof Error ? err.message : String(err));
    await metrics?.close();
    await session.client.shutdown();
    return { exitCode: EXIT.setupFailed, summary: null, runDir: null };
  }
  announce(config, deps, wired);
  const driven = await drive(config, deps, wired);
  const result = await finish(config, deps, wired, driven);
  if (result.summary) await keepShardRecord(result.runDir ?? session.runDir, { runConfig, config, recorder: wired.obs.recorder, summary: result.summary });
  if (metrics) await closeMetrics(metrics, result.exitCode, config, deps);
  return result;
}

/**
 * The sweep's losses, the last interval and the verdict reach the endpoint after the run's last interval, so a
 * scraper that has been watching gets one more scrape of them before it closes (SCY_METRICS_LINGER_SECS).
 */
async function closeMetrics(metrics: MetricsEndpoint, exitCode: number, config: Config, deps: RunDeps): Promise<void> {
  metrics.exporter.finished(exitCode);
  const { waitMs, outcome } = metrics.finalScrape(config.metricsLingerSecs * 1000);
  if (waitMs > 0) deps.log.info(`metrics: waiting up to ${(waitMs / 1000).toFixed(1)} s for Prometheus to scrape the final figures and exit code (SCY_METRICS_LINGER_SECS; the reports are written)`);
  const how = await outcome;
  if (how === 'scraped') deps.log.info('metrics: the final figures were scraped');
  else if (how === 'timed-out') deps.log.warn(`metrics: no scrape within ${(waitMs / 1000).toFixed(1)} s; Prometheus may lack the last interval, the sweep's losses and the exit code (the reports have them)`);
  await metrics.close();
}

/** The Prometheus endpoint (SCY_METRICS_PORT), before any load, so a scrape sees the run from its start. */
async function startMetrics(config: Config, deps: RunDeps, w: Wired): Promise<MetricsEndpoint | null> {
  if (config.metricsPort === undefined) return null;
  try {
    const metrics = await serveMetrics({ host: config.metricsHost, port: config.metricsPort, recorder: w.obs.recorder, clock: deps.clock, scaler: () => w.scaler?.live ?? null, loader: loaderLabel(config.shard) });
    deps.log.info(`metrics: Prometheus can scrape ${metrics.url}`);
    return metrics;
  } catch (err) {
    throw new Error(`cannot serve metrics on ${config.metricsHost}:${config.metricsPort} (SCY_METRICS_HOST, SCY_METRICS_PORT): ${describeError(err)}`);
  }
}

function wire(config: Config, deps: RunDeps, session: Session): Wired {
  const { clock, log } = deps;
  const { client } = session;
  const stop = new AbortController();
  let stopReason = 'stopped';
  const requestStop = (why: string): boolean => {
    if (stop.signal.aborted) return false;
    stopReason = why;
    stop.abort();
    return true;
  };
  deps.stopSignal.addEventListener('abort', () => requestStop('interrupted'), { once: true });

  const feed = new RecorderFeed((err) => log.error(`recording: ${err instanceof Error ? err.message : String(err)}`));
  let load: LoadEngine | null = null;
  const obs = observe({
    config,
    clock,
    runDir: session.runDir,
    probes: {
      readTarget: () => (load?.readsStarted ? config.readRps : 0),
      readsDue: () => load?.readsDue(clock.monotonic()) ?? 0,
      inflight: () => load?.inflight() ?? { inflight: 0, limit: 0 },
      loader: () => load!.loader(),
      writeSchedule: () => load?.writesOffered(clock.monotonic()) ?? null,
    },
    driverUpHosts: () => client.hosts.values().filter((h) => h.isUp() && h.datacenter === config.localDc).length,
    driverSeenHosts: () => new Set(client.hosts.values().map((h) => h.address.replace(/:\d+$/, ''))),
    warn: (line) => log.warn(line),
    requestStop,
  });
  const { recorder, resizes } = obs;
  load = loadFor({ config, client, target: session.target, run: shardBaseIdentity(config, session.startedAt.getTime()), recorder, feed, clock, log });

  // The driver's own view of the topology, named like the chart's node markers (host-down/-removed in red).
  const driverEvents = { hostAdd: 'host-added', hostRemove: 'host-removed', hostUp: 'host-up', hostDown: 'host-down' } as const;
  for (const [name, type] of Object.entries(driverEvents)) {
    client.on(name, (host: cassandra.Host) => {
      void feed.then(() => recorder.event({ type, source: 'cql-driver', address: host.address, dc: host.datacenter }));
      log.info(`driver: ${type} ${host.address}`);
    });
  }

  // The boundary is drawn in every thread now; the phase changes once their spans up to it are in.
  const onPhase = (p: Phase): void => {
    const closing = load!.closeInterval();
    void feed.then(async () => {
      const span = await closing;
      if (span) recorder.absorb(span);
      recorder.setPhase(p);
      resizes.onPhase(p);
    });
  };
  const follower = phaseFollowerFor({ config, clock, log, onPhase });
  const scaler = scalerFor({
    config,
    clock,
    log,
    onPhase,
    onEvent: (e) =>
      void feed.then(() => {
        recorder.event({ ...e });
        resizes.onEvent(e);
        obs.views.onScalerEvent(e);
      }),
  });
  return { session, obs, feed, load, scaler, follower, stop: stop.signal, requestStop, stopReason: () => stopReason };
}

function announce(config: Config, deps: RunDeps, w: Wired): void {
  const readsOn = config.readWorkers > 0 && config.readRps > 0;
  deps.log.info(
    `load: ${w.load.threads} loader thread${w.load.threads === 1 ? '' : 's'} (${loaderThreadsChoice(config).why}), ${config.writeWorkers} writers (` +
      `${config.writeRowsPerSec !== undefined && config.writeWorkers > 0 ? `open-loop ${config.writeRowsPerSec} rows/s, ` : ''}batches of ${config.batchMin}–${config.batchMax} rows, ≤ ${config.batchInflight} in flight), ` +
      (readsOn ? `${config.readRps} reads/s (≤ ${config.readWorkers * readerSettings(config).maxInflightPerWorker} in flight), ` : 'no reads, ') +
      `consistency ${config.consistency}; uncompressed CQL frames (cassandra-driver has no protocol compression)`,
  );
  if (!w.scaler && !w.follower) deps.log.info('no Cloud API settings (SCY_CLOUD_TOKEN, SCY_ACCOUNT_ID, SCY_CLUSTER_ID): running load only, no resizes');
}

/** Closes the interval in every thread and, once their spans are in, in the recorder; resolves when reported. */
function closeInterval(deps: RunDeps, w: Wired): Promise<void> {
  const closing = w.load.closeInterval();
  return w.feed.then(async () => {
    const span = await closing;
    if (span) w.obs.recorder.absorb(span);
    const iv = w.obs.recorder.tick();
    deps.print(renderStatusLine(iv, w.scaler?.activity ?? w.follower?.activity ?? 'none (load only)', { color: deps.color }));
  });
}

/** Runs the load and the scaler until a stop is asked for, then drains; returns how the scaler ended. */
async function drive(config: Config, deps: RunDeps, w: Wired): Promise<Driven> {
  const { clock, log } = deps;
  const signal = w.stop;
  const scalerStop = new AbortController();
  const scalerDone = w.scaler
    ? w.scaler.run(scalerStop.signal).then((outcome) => {
        if (outcome.stopped === 'cycles-done') w.requestStop(`${outcome.cyclesCompleted} resize cycles completed`);
        else if (outcome.stopped === 'fatal') log.error(`scaler stopped: ${outcome.reason ?? 'fatal Cloud API error'}; load goes on`);
        return outcome;
      })
    : (w.follower?.run(scalerStop.signal).then((outcome) => {
        if (outcome.stopped === 'cycles-done') w.requestStop(`${config.cycles} resize cycles completed (as shard ${config.shard.index} saw them)`);
        return null;
      }) ?? Promise.resolve(null));
  if (config.durationSecs !== undefined) {
    const secs = config.durationSecs;
    void clock.sleep(secs * 1000, signal).then(() => w.requestStop(`duration ${secs}s reached`));
  }
  const reportMs = config.reportSecs * 1000;
  for (;;) {
    await clock.sleep(reportMs, signal);
    if (signal.aborted) break;
    await closeInterval(deps, w);
  }
  log.info(`stopping (${w.stopReason()}): no new requests, no new resize; draining in-flight work (up to ${config.drainSecs}s)`);
  // Rates are per second of load: the drain and the verification sweep after this are not load.
  w.obs.recorder.endLoad();
  scalerStop.abort();
  w.load.stop();
  const [left, scalerOutcome] = await Promise.all([w.load.drain(config.drainSecs * 1000), scalerDone]);
  return { scalerOutcome, left };
}

/** Closes the last interval and phase, verifies, judges and writes the reports. */
async function finish(config: Config, deps: RunDeps, w: Wired, driven: Driven): Promise<RunResult> {
  const { clock, log } = deps;
  const { recorder } = w.obs;
  const { client, runDir } = w.session;
  // The last interval holds what the drain settled, in every thread.
  const closing = w.load.closeInterval();
  await w.feed.then(async () => {
    const span = await closing;
    if (span) recorder.absorb(span);
    recorder.finish();
  });
  w.obs.views.close(clock.now());
  await deps.beforeVerify?.(client);
  const verification: VerificationReport | null = config.verifySample > 0 ? await w.load.verify(config.verifySample) : null;
  // Losses the threads' sweeps reported are queued behind the sweep's end.
  await w.feed.settled();
  await w.load.close();
  await client.shutdown();
  const summary = summarize(config, w.obs, {
    startedAt: w.session.startedAt,
    endedAtMs: clock.now(),
    version: deps.version,
    left: driven.left,
    scalerOutcome: driven.scalerOutcome,
    loaderFailures: w.load.failures,
    verification,
  });
  await w.obs.timeline.close();
  const files = await writeRunReports(runDir, { summary, intervals: recorder.intervals, events: recorder.events });
  deps.print(renderSummaryTable(summary, { color: deps.color }));
  log.info(`reports: ${files.summaryJson}, ${files.html}, ${join(runDir, 'timeline.ndjson')}`);
  return { exitCode: summary.exitCode, summary, runDir };
}
