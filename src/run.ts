import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import cassandra from 'cassandra-driver';
import type { Clock } from './clock.js';
import type { Config } from './config/load.js';
import { SETTINGS, type SettingKey } from './config/settings.js';
import { drivesScaler, runFolder, shardShare } from './config/shard.js';
import { connect, consistencyCode } from './db/connect.js';
import { describeError } from './db/errors.js';
import { ensureSchema, insertCql, selectCql } from './db/schema.js';
import { IdLedger } from './load/idLedger.js';
import { AimdLimiter } from './load/limiter.js';
import { Pacer } from './load/pacer.js';
import { Readers, readerSettings } from './load/readers.js';
import { runBaseIdentity, shardLoaderIdentity } from './load/shardIdentity.js';
import { verifyAcknowledged } from './load/verifier.js';
import { Writers, writerSettings } from './load/writers.js';
import type { Logger } from './log.js';
import { LoaderStrainLog, loaderWarnings } from './metrics/loaderHealth.js';
import { LoaderProbe } from './metrics/loaderProbe.js';
import { Recorder } from './metrics/recorder.js';
import { ResizeLog } from './metrics/resizeLog.js';
import { ViewAgreement } from './metrics/viewAgreement.js';
import { EXIT, evaluateThresholds, exitCodeFor } from './metrics/thresholds.js';
import { ErrorBursts } from './metrics/errorBursts.js';
import type { RunSummary, VerificationReport } from './metrics/types.js';
import type { Phase } from './phase.js';
import { NdjsonWriter } from './report/ndjson.js';
import { renderStatusLine } from './report/statusLine.js';
import { renderSummaryTable } from './report/summaryTable.js';
import { writeRunReports } from './report/writeReports.js';
import { CloudApi } from './scaler/cloudApi.js';
import { Scaler, type ScalerOutcome } from './scaler/scaler.js';
import { followScalerPhases } from './scaler/phaseFollower.js';
import { writeShardRecord } from './shard/record.js';

export interface RunDeps {
  clock: Clock;
  log: Logger;
  /** Where the status lines and summary table go. */
  print: (text: string) => void;
  color: boolean;
  /** Aborts when the user asks to stop (first Ctrl+C / SIGTERM). */
  stopSignal: AbortSignal;
  version: string;
  /** Test seam: runs after the drain, before the verification sweep (e.g. to delete rows behind the tool's back). */
  beforeVerify?: (client: cassandra.Client) => Promise<void>;
}

export interface RunResult {
  exitCode: number;
  summary: RunSummary | null;
  runDir: string | null;
}

// Whatever the drain could not settle is neither acknowledged nor failed: say so instead of guessing.
function unsettledWarning(rowsInFlight: number): string | null {
  return rowsInFlight > 0 ? `${rowsInFlight} batches were still in flight when the drain ended; their rows are not counted as acknowledged` : null;
}

/** The settings as they appear in reports: secrets masked, Cloud settings shown only when given. */
function reportedSettings(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(SETTINGS) as SettingKey[]) {
    const v = (config as unknown as Record<string, unknown>)[key];
    if (v === undefined) continue;
    out[SETTINGS[key].env] = SETTINGS[key].secret ? '***' : v;
  }
  if (config.cloud) out.SCY_CLOUD_TOKEN = '***';
  return out;
}

export async function runTool(runConfig: Config, deps: RunDeps): Promise<RunResult> {
  // A shard offers its share of the run's load; a one-process run is its own only shard.
  const config = shardShare(runConfig);
  const { clock, log, print } = deps;
  const startedAt = new Date(clock.now());
  const runDir = runFolder(config, startedAt);
  mkdirSync(runDir, { recursive: true });

  let client: cassandra.Client;
  try {
    client = await connect(config);
  } catch (err) {
    log.error(`cannot connect to ${config.contactPoints?.join(',')}:${config.port} (DC ${config.localDc}): ${describeError(err)}`);
    return { exitCode: EXIT.setupFailed, summary: null, runDir: null };
  }
  const target = { keyspace: config.keyspace, table: config.table, localDc: config.localDc, rf: config.rf };
  try {
    const made = await ensureSchema(client, target);
    log.info(
      `schema: keyspace ${config.keyspace} ${made.createdKeyspace ? `created (NetworkTopologyStrategy, ${config.localDc}: ${config.rf})` : 'exists'}, ` +
        `table ${config.table} ${made.createdTable ? 'created' : 'exists'}`,
    );
  } catch (err) {
    log.error(`cannot create or check ${config.keyspace}.${config.table}: ${describeError(err)}`);
    await client.shutdown();
    return { exitCode: EXIT.setupFailed, summary: null, runDir: null };
  }

  const consistency = consistencyCode(config.consistency);
  const run = shardLoaderIdentity(runBaseIdentity(config, startedAt.getTime()), config.shard.index, 0);
  const ledger = new IdLedger(config.idPoolSize);
  const limiter = new AimdLimiter(config.batchInflight);
  const readsOn = config.readWorkers > 0 && config.readRps > 0;
  const pacer = new Pacer(clock, Math.max(config.readRps, 1e-9));
  const probe = new LoaderProbe();
  let readers: Readers | null = null;
  const initialPhase: Phase = config.cloud ? { kind: 'waiting', cycle: 0, nodes: null, reason: 'first look at the cluster' } : { kind: 'load-only' };
  const recorder = new Recorder(
    clock,
    {
      readTarget: () => (readers?.started ? config.readRps : 0),
      readsDue: () => (readers?.started ? pacer.dueBy(clock.monotonic()) : 0),
      inflight: () => ({ inflight: limiter.inflight, limit: limiter.limit }),
      loader: () => probe.sample(),
    },
    initialPhase,
  );
  const stop = new AbortController();
  let stopReason = 'stopped';
  const requestStop = (why: string): void => {
    if (stop.signal.aborted) return;
    stopReason = why;
    stop.abort();
  };
  deps.stopSignal.addEventListener('abort', () => requestStop('interrupted'), { once: true });

  const timeline = new NdjsonWriter(join(runDir, 'timeline.ndjson'));
  const bursts = new ErrorBursts((e) => recorder.event(e));
  const views = new ViewAgreement((e) => recorder.event(e));
  const driverUpHosts = (): number => client.hosts.values().filter((h) => h.isUp() && h.datacenter === config.localDc).length;
  recorder.addOutput({
    interval: (iv) => {
      timeline.write({ type: 'interval', at: iv.endMs, ...iv });
      bursts.observe(iv);
      views.check(iv.endMs, driverUpHosts(), iv.phase);
    },
    phaseEnded: (p) => timeline.write({ type: 'phase-summary', at: p.endMs, ...p }),
    event: (e) => timeline.write(e),
  });
  const strain = new LoaderStrainLog();
  recorder.addOutput(strain);
  const resizes = new ResizeLog(() => ('cycle' in recorder.phase ? recorder.phase.cycle : 0));
  // With SCY_ABORT_ON_FAIL every threshold is checked at each interval over the phases so far (the current one
  // included once it is long enough to judge, and a resize still running against its time limit).
  if (config.abortOnFail) {
    recorder.addOutput({
      interval: () => {
        const failed = evaluateThresholds(config, {
          phases: recorder.phaseReports(),
          resizes: resizes.records,
          lostRows: recorder.lossesTotal.missing + recorder.lossesTotal.corrupt,
          minPhaseMs: config.reportSecs * 1000,
          nowMs: clock.now(),
        }).filter((r) => !r.passed);
        if (failed.length > 0) {
          requestStop(`threshold failed: ${failed.map((r) => `${r.name} ${r.actual} (limit ${r.limit}) in ${r.scope}`).join('; ')}`);
        }
      },
    });
  }

  // The driver's own view of the topology, named like the chart's node markers (host-down/-removed in red).
  const driverEvents = { hostAdd: 'host-added', hostRemove: 'host-removed', hostUp: 'host-up', hostDown: 'host-down' } as const;
  for (const [name, type] of Object.entries(driverEvents)) {
    client.on(name, (host: cassandra.Host) => {
      recorder.event({ type, source: 'cql-driver', address: host.address, dc: host.datacenter });
      log.info(`driver: ${type} ${host.address}`);
    });
  }

  const writers = new Writers({
    client,
    insertCql: insertCql(target),
    consistency,
    ...writerSettings(config),
    run,
    ledger,
    limiter,
    recorder,
    clock,
    log: log.child('write'),
  });
  if (readsOn) {
    readers = new Readers({
      client,
      selectCql: selectCql(target),
      consistency,
      ...readerSettings(config),
      run,
      ledger,
      pacer,
      recorder,
      clock,
      log: log.child('read'),
    });
  }

  writers.start();
  readers?.start();
  log.info(
    `load: ${config.writeWorkers} writers (batches of ${config.batchMin}–${config.batchMax} rows, ≤ ${config.batchInflight} in flight), ` +
      (readsOn ? `${config.readRps} reads/s (≤ ${config.readWorkers * readerSettings(config).maxInflightPerWorker} in flight), ` : 'no reads, ') +
      `consistency ${config.consistency}; uncompressed CQL frames (cassandra-driver has no protocol compression)`,
  );

  let scalerDone: Promise<ScalerOutcome | null> = Promise.resolve(null);
  const scalerStop = new AbortController();
  let scaler: Scaler | null = null;
  let follower: ReturnType<typeof followScalerPhases> | null = null;
  if (config.cloud && !drivesScaler(config)) {
    follower = followScalerPhases({ ...config, cloud: config.cloud }, { clock, log: log.child('phases'), onPhase: (p) => recorder.setPhase(p), requestStop }, scalerStop.signal);
    scalerDone = follower.done;
  } else if (config.cloud) {
    const api = new CloudApi({
      baseUrl: config.cloud.apiBase,
      token: config.cloud.token,
      accountId: config.cloud.accountId,
      clusterId: config.cloud.clusterId,
      clock,
      // GET errors the client retries on its own still count in the scaler's error tally.
      onRetry: (e) => scaler?.noteRetry(e),
    });
    scaler = new Scaler({
      api,
      clock,
      log: log.child('scaler'),
      minNodes: config.minNodes,
      maxNodes: config.maxNodes,
      pollSecs: config.pollSecs,
      stableSecs: config.stableSecs,
      dryRun: config.dryRun,
      ...(config.cycles !== undefined ? { maxCycles: config.cycles } : {}),
      ...(config.cloud.dcId !== undefined ? { dc: config.cloud.dcId } : {}),
      onPhase: (p) => {
        recorder.setPhase(p);
        resizes.onPhase(p);
      },
      onEvent: (e) => {
        recorder.event({ ...e });
        resizes.onEvent(e);
      },
    });
    scalerDone = scaler.run(scalerStop.signal).then((outcome) => {
      if (outcome.stopped === 'cycles-done') requestStop(`${outcome.cyclesCompleted} resize cycles completed`);
      else if (outcome.stopped === 'fatal') log.error(`scaler stopped: ${outcome.reason ?? 'fatal Cloud API error'}; load goes on`);
      return outcome;
    });
  } else {
    log.info('no Cloud API settings (SCY_CLOUD_TOKEN, SCY_ACCOUNT_ID, SCY_CLUSTER_ID): running load only, no resizes');
  }

  const reportTimer = setInterval(() => {
    const iv = recorder.tick();
    print(renderStatusLine(iv, scaler?.activity ?? follower?.activity ?? 'none (load only)', { color: deps.color }));
  }, config.reportSecs * 1000);
  const durationTimer =
    config.durationSecs !== undefined ? setTimeout(() => requestStop(`duration ${config.durationSecs}s reached`), config.durationSecs * 1000) : null;

  await new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }));
  clearInterval(reportTimer);
  if (durationTimer) clearTimeout(durationTimer);
  log.info(`stopping (${stopReason}): no new requests, no new resize; draining in-flight work (up to ${config.drainSecs}s)`);
  scalerStop.abort();
  writers.stop();
  readers?.stop();
  const drainMs = config.drainSecs * 1000;
  const [leftWrites, leftReads, scalerOutcome] = await Promise.all([
    writers.drain(drainMs),
    readers?.drain(drainMs) ?? Promise.resolve(0),
    scalerDone,
  ]);
  recorder.finish();
  views.close(clock.now());
  const warnings: string[] = [];
  const disagreement = views.warning();
  if (disagreement) warnings.push(disagreement);
  if (recorder.droppedEvents > 0) warnings.push(`${recorder.droppedEvents} timeline events beyond the first 20,000 were kept only in timeline.ndjson, not in the HTML report`);
  const unsettled = unsettledWarning(leftWrites);
  if (unsettled) warnings.push(unsettled);
  if (leftReads > 0) warnings.push(`${leftReads} reads were still in flight when the drain ended`);
  if (scalerOutcome?.stopped === 'fatal') warnings.push(`scaler stopped early: ${scalerOutcome.reason ?? ''}`);

  await deps.beforeVerify?.(client);
  let verification: VerificationReport | null = null;
  if (config.verifySample > 0 && ledger.acknowledgedRows > 0) {
    verification = await verifyAcknowledged({
      client,
      selectCql: selectCql(target),
      consistency,
      run,
      ledger,
      recorder,
      clock,
      log: log.child('verify'),
      limit: config.verifySample,
      concurrency: 64,
      // The re-check asks every replica (ALL), which is the authoritative answer; no need to wait long.
      recheckMs: 250,
    });
  }
  await client.shutdown();
  probe.stop();

  const phases = recorder.phaseReports();
  const lostRows = recorder.lossesTotal.missing + recorder.lossesTotal.corrupt;
  const thresholds = evaluateThresholds(config, {
    phases,
    resizes: resizes.records,
    lostRows,
    minPhaseMs: config.reportSecs * 1000,
    nowMs: clock.now(),
  });
  warnings.push(...loaderWarnings(recorder.overall(), strain));
  const exitCode = exitCodeFor(thresholds, lostRows);
  const summary: RunSummary = {
    tool: { name: 'scylla-resize-test', version: deps.version },
    startedAt: startedAt.toISOString(),
    endedAt: new Date(clock.now()).toISOString(),
    settings: reportedSettings(config),
    overall: recorder.overall(),
    phases,
    byPhaseKey: recorder.byPhaseKey(),
    resizes: resizes.records,
    losses: recorder.losses,
    verification,
    thresholds,
    warnings,
    exitCode,
  };
  await timeline.close();
  const files = await writeRunReports(runDir, { summary, intervals: recorder.intervals, events: recorder.events });
  if (config.runId !== undefined) {
    const { shard, runId } = config;
    const spans = recorder.spanWires(summary.overall.endMs);
    await writeShardRecord(runDir, { runId, shard, drivesScaler: drivesScaler(config), settings: reportedSettings(runConfig), spans, lossesTotal: recorder.lossesTotal, summary, intervals: recorder.intervals, events: recorder.events });
  }
  print(renderSummaryTable(summary, { color: deps.color }));
  log.info(`reports: ${files.summaryJson}, ${files.html}, ${join(runDir, 'timeline.ndjson')}`);
  return { exitCode, summary, runDir };
}
