import { hostname } from 'node:os';
import { Counter, Gauge, Registry, type Metric } from 'prom-client';
import { phaseKey, type Phase } from '../phase.js';
import type { LatencyHistogram } from './histograms.js';
import type { Output } from './recorder.js';
import type { SpanAccumulator } from './span.js';
import { ERROR_CLASSES, type ErrorCounts, type IntervalReport, type TimelineEvent } from './types.js';

// The run as Prometheus metrics. Nothing here runs per request: counters and histograms move once per report
// interval, from the interval the recorder has just closed (so load spread over worker threads, merged into the
// recorder, is covered too), and the live state (phase, node counts, resize progress) is read when scraped.
// Every series carries the phase and cycle it belongs to, and every series the loader process it came from.

export const METRIC_PREFIX = 'scylla_resize_test_';

/**
 * Phase occurrences whose counters and histograms are still exposed. Older ones are dropped, so a run of many
 * cycles keeps its scrape small and bounded; two cycles' worth, so a phase's final values have been scraped
 * long before its series goes (unless 8 phase changes fit into one scrape interval).
 */
export const EXPOSED_PHASES = 8;

/** Upper bounds of the latency buckets, in seconds: 250 µs to 1 min, dense where CQL latencies live. */
export const LATENCY_BUCKETS_SECONDS = [
  0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10, 30, 60,
] as const;

/** What the scaler knows right now; read at scrape time. */
export interface ScalerLiveState {
  /** ACTIVE nodes of the resized DC at the scaler's last look; null before the first. */
  nodes: number | null;
  /** Progress of the resize request being followed, 0–100; null when none is. */
  progressPercent: number | null;
}

export interface PrometheusExporterOptions {
  /** The phase right now (the recorder's). */
  phase: () => Phase;
  scaler?: () => ScalerLiveState | null;
  /** Value of the `loader` label on every series (loaderLabel). */
  loader: string;
}

/**
 * The `loader` label: the shard when the run is split (so a panel names the same loader across pod restarts and
 * machines), else the process.
 */
export function loaderLabel(shard: { index: number; count: number }, host = hostname(), pid = process.pid): string {
  return shard.count > 1 ? `shard-${shard.index}-of-${shard.count}` : `${host}-${pid}`;
}

type PhaseLabels = { phase: string; cycle: string };

export function phaseLabels(p: Phase): PhaseLabels {
  return { phase: phaseKey(p), cycle: String('cycle' in p ? p.cycle : 0) };
}

function phaseId(l: PhaseLabels): string {
  return `${l.phase}\u0000${l.cycle}`;
}

/**
 * A Prometheus histogram fed with whole HDR histograms: each interval adds how many of its values fall at or
 * below each bucket bound (one walk over the HDR counts), instead of observing every request.
 */
class HdrFedHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly boundsMicros = LATENCY_BUCKETS_SECONDS.map((s) => Math.round(s * 1e6));
  private readonly series = new Map<string, { labels: PhaseLabels; buckets: number[]; sum: number; count: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  drop(key: string): void {
    this.series.delete(key);
  }

  add(labels: PhaseLabels, h: LatencyHistogram): void {
    const key = phaseId(labels);
    let s = this.series.get(key);
    if (!s) {
      s = { labels, buckets: this.boundsMicros.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    if (h.count === 0) return;
    const { atOrBelow, sumMicros } = h.cumulative(this.boundsMicros);
    for (let i = 0; i < atOrBelow.length; i++) s.buckets[i]! += atOrBelow[i]!;
    s.sum += sumMicros / 1e6;
    s.count += h.count;
  }

  // The shape prom-client's registry renders (what its own Histogram.get returns).
  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: { metricName: string; labels: Record<string, string | number>; value: number }[] }> {
    const values = [];
    for (const s of this.series.values()) {
      LATENCY_BUCKETS_SECONDS.forEach((le, i) => values.push({ metricName: `${this.name}_bucket`, labels: { ...s.labels, le }, value: s.buckets[i]! }));
      values.push({ metricName: `${this.name}_bucket`, labels: { ...s.labels, le: '+Inf' }, value: s.count });
      values.push({ metricName: `${this.name}_sum`, labels: s.labels, value: s.sum });
      values.push({ metricName: `${this.name}_count`, labels: s.labels, value: s.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

export class PrometheusExporter implements Output {
  readonly registry = new Registry();
  private readonly c: Record<string, Counter<string>> = {};
  private readonly g: Record<string, Gauge<string>> = {};
  private readonly h: Record<'writeBatch' | 'readResponse' | 'readService', HdrFedHistogram>;
  /** The phase the interval gauges were last set for; they are cleared on a change so old phases go stale. */
  private gaugePhase = '';
  /** Per exposed phase occurrence (oldest first): every counter label set made for it, to remove them later. */
  private readonly exposed = new Map<string, Map<string, { counter: Counter<string>; labels: Record<string, string> }>>();
  private readonly exitCode: Gauge<string>;

  constructor(private readonly o: PrometheusExporterOptions) {
    this.registry.setDefaultLabels({ loader: o.loader });
    const counter = (key: string, name: string, help: string, extra: string[] = []): void => {
      this.c[key] = new Counter({ name: METRIC_PREFIX + name, help, labelNames: ['phase', 'cycle', ...extra], registers: [this.registry] });
    };
    const gauge = (key: string, name: string, help: string, extra: string[] = []): void => {
      this.g[key] = new Gauge({ name: METRIC_PREFIX + name, help, labelNames: ['phase', 'cycle', ...extra], registers: [this.registry] });
    };
    counter('rows', 'rows_written_total', 'Rows in acknowledged write batches.');
    counter('batches', 'batches_written_total', 'Acknowledged write batches.');
    counter('failedBatches', 'write_failed_batches_total', 'Write batches given up after the last retry (their rows were never acknowledged).');
    counter('failedRows', 'write_failed_rows_total', 'Rows of write batches given up after the last retry.');
    counter('writeErrors', 'write_errors_total', 'Failed write attempts (retried or given up), by error class.', ['class']);
    counter('reads', 'reads_total', 'Point reads completed.');
    counter('readsDue', 'reads_due_total', 'Point reads the open-loop schedule asked for (the offered load).');
    counter('readErrors', 'read_errors_total', 'Failed point reads, by error class.', ['class']);
    counter('notYetVisible', 'reads_not_yet_visible_total', 'Reads of an acknowledged row not visible yet, re-checked before it counts as lost.');
    counter('lost', 'rows_lost_total', 'Acknowledged rows found missing or corrupt, by kind and by what found them (read or the final sweep).', ['kind', 'detected_by']);
    counter('resizes', 'resizes_total', 'Resizes that ended, by outcome.', ['outcome']);
    counter('cpu', 'loader_cpu_seconds_total', 'CPU time (user + system) the loader process used.');
    gauge('inflight', 'write_inflight_batches', 'Write batches in flight at the end of the last interval.');
    gauge('limit', 'write_inflight_limit_batches', 'The AIMD in-flight limit of write batches at the end of the last interval.');
    gauge('readTarget', 'read_target_per_second', 'Reads per second the schedule asked for over the last interval.');
    gauge('cpuRatio', 'loader_cpu_ratio', 'Share of one CPU core the loader used over the last interval (1 = a whole core).');
    gauge('loopDelay', 'loader_event_loop_delay_p99_seconds', "p99 of the loader's event-loop delay over the last interval.");
    gauge('rss', 'loader_resident_memory_bytes', "The loader's resident set size.");
    gauge('heap', 'loader_heap_used_bytes', "The loader's used V8 heap.");
    this.h = {
      writeBatch: new HdrFedHistogram(`${METRIC_PREFIX}write_batch_duration_seconds`, 'Latency of acknowledged write batches.'),
      readResponse: new HdrFedHistogram(`${METRIC_PREFIX}read_response_duration_seconds`, 'Read latency from the intended start (includes waiting behind a stalled schedule).'),
      readService: new HdrFedHistogram(`${METRIC_PREFIX}read_service_duration_seconds`, 'Read latency from the actual send to the answer.'),
    };
    for (const h of Object.values(this.h)) this.registry.registerMetric(h as unknown as Metric<string>);
    this.addLiveState();
    this.exitCode = new Gauge({
      name: `${METRIC_PREFIX}run_exit_code`,
      help: "The run's exit code once its verdict and reports are in (absent before): 0 passed, 3 a threshold failed, 4 rows lost, 6 incomplete.",
      labelNames: ['phase', 'cycle'],
      registers: [this.registry],
    });
  }

  /** The run is over: its verdict, as the exit code the process ends with. */
  finished(exitCode: number): void {
    this.exitCode.set(phaseLabels(this.o.phase()), exitCode);
  }

  /** Scrape-time gauges: where the run is now, so a panel can draw the phase and node count as they change. */
  private addLiveState(): void {
    const o = this.o;
    new Gauge({
      name: `${METRIC_PREFIX}phase_info`,
      help: 'Always 1; its labels say the current phase, its kind, cycle and resize request id (empty when none).',
      labelNames: ['phase', 'cycle', 'kind', 'request_id'],
      registers: [this.registry],
      collect() {
        const p = o.phase();
        this.reset();
        this.set({ ...phaseLabels(p), kind: p.kind, request_id: p.kind === 'resizing' ? (p.requestId ?? '') : '' }, 1);
      },
    });
    const stateGauge = (name: string, help: string, value: (p: Phase, s: ScalerLiveState | null) => number | null): void => {
      new Gauge({
        name: METRIC_PREFIX + name,
        help,
        labelNames: ['phase', 'cycle'],
        registers: [this.registry],
        collect() {
          this.reset();
          const p = o.phase();
          const v = value(p, o.scaler?.() ?? null);
          if (v !== null) this.set(phaseLabels(p), v);
        },
      });
    };
    stateGauge('cycle', 'The resize cycle the run is in (0 before the first resize).', (p) => ('cycle' in p ? p.cycle : 0));
    stateGauge('cluster_nodes', 'ACTIVE nodes of the resized data center at the scaler\'s last look.', (_p, s) => s?.nodes ?? null);
    stateGauge('cluster_target_nodes', 'The node count the scaler is heading to or holding.', (p) => {
      if (p.kind === 'resizing') return p.to;
      if (p.kind === 'steady') return p.nodes;
      return p.kind === 'waiting' ? p.nodes : null;
    });
    stateGauge('resize_progress_ratio', 'Progress of the resize request being followed, 0 to 1.', (p, s) =>
      p.kind === 'resizing' && s?.progressPercent != null ? s.progressPercent / 100 : null,
    );
  }

  interval(iv: IntervalReport, span: SpanAccumulator): void {
    const labels = phaseLabels(iv.phase);
    const inc = (key: string, n: number, extra: Record<string, string> = {}): void => this.inc(key, labels, n, extra);
    const byClass = (key: string, counts: ErrorCounts): void => {
      for (const cls of ERROR_CLASSES) inc(key, counts[cls], { class: cls });
    };
    inc('rows', iv.writes.rows);
    inc('batches', iv.writes.batches);
    inc('failedBatches', iv.writes.failedBatches);
    inc('failedRows', iv.writes.failedRows);
    byClass('writeErrors', iv.writes.retriedErrors);
    inc('reads', iv.reads.completed);
    inc('readsDue', iv.reads.scheduled);
    byClass('readErrors', iv.reads.errors);
    inc('notYetVisible', iv.reads.notYetVisible);
    for (const kind of ['missing', 'corrupt'] as const) inc('lost', 0, { kind, detected_by: 'read' });
    inc('cpu', ((iv.loader.cpuPercent / 100) * iv.durationMs) / 1000);

    const key = phaseId(labels);
    if (key !== this.gaugePhase) {
      for (const g of Object.values(this.g)) g.reset();
      this.gaugePhase = key;
    }
    this.g.inflight!.set(labels, iv.inflight);
    this.g.limit!.set(labels, iv.inflightLimit);
    this.g.readTarget!.set(labels, iv.reads.targetPerSec);
    this.g.cpuRatio!.set(labels, iv.loader.cpuPercent / 100);
    this.g.loopDelay!.set(labels, iv.loader.eventLoopDelayP99Ms / 1000);
    this.g.rss!.set(labels, iv.loader.rssMb * 2 ** 20);
    this.g.heap!.set(labels, iv.loader.heapMb * 2 ** 20);

    this.h.writeBatch.add(labels, span.batchLatency);
    this.h.readResponse.add(labels, span.responseLatency);
    this.h.readService.add(labels, span.serviceLatency);
  }

  // Losses are counted from the recorder's events, which include the ones the final sweep finds after the last
  // interval; the read-detected ones in the interval counts would be the same rows again.
  event(e: TimelineEvent): void {
    const labels = phaseLabels(this.o.phase());
    if (e.type === 'row-missing' || e.type === 'row-corrupt') {
      this.inc('lost', labels, 1, { kind: e.type.slice(4), detected_by: String(e.detectedBy) });
    } else if (e.type === 'resize-completed' || e.type === 'resize-failed') {
      this.inc('resizes', labels, 1, { outcome: e.type.slice(7) });
    }
  }

  private inc(key: string, phase: PhaseLabels, n: number, extra: Record<string, string> = {}): void {
    const labels = { ...phase, ...extra };
    const counter = this.c[key]!;
    counter.inc(labels, n);
    const id = phaseId(phase);
    let made = this.exposed.get(id);
    if (!made) {
      made = new Map();
      this.exposed.set(id, made);
      this.dropOldPhases();
    }
    const series = `${key}${JSON.stringify(extra)}`;
    if (!made.has(series)) made.set(series, { counter, labels });
  }

  private dropOldPhases(): void {
    for (const [id, made] of this.exposed) {
      if (this.exposed.size <= EXPOSED_PHASES) return;
      for (const { counter, labels } of made.values()) counter.remove(labels);
      for (const h of Object.values(this.h)) h.drop(id);
      this.exposed.delete(id);
    }
  }

  /** The exposition text (Prometheus text format 0.0.4). */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
