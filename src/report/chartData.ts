// Turns intervals and events into the series the HTML report draws. Decisions about what is charted live
// here, in checked TypeScript; the browser code only draws what it is given.

import { ERROR_CLASSES, type ErrorClass, type IntervalReport, type RunSummary, type TimelineEvent } from '../metrics/types.js';
import { addErrorCounts } from '../metrics/span.js';
import { LOADER_CPU_LIMIT_PERCENT } from '../metrics/loaderHealth.js';
import type { ChartData, ChartSeries, ChartSpec } from './htmlClient.js';

// A long run has many losses or node flaps; past this many markers they hide the lines they annotate.
const MAX_MARKERS = 200;

const toSec = (ms: number): number => ms / 1000;
// A log scale cannot show 0, and an interval with no samples has no latency to show.
const positive = (v: number, count: number): number | null => (count > 0 && v > 0 ? v : null);

// Typed by ErrorClass, so a new class does not compile without a colour.
export const ERROR_COLORS: Record<ErrorClass, string> = {
  busy: '#e8590c',
  'no-host': '#c2255c',
  timeout: '#7048e8',
  unavailable: '#1971c2',
  overloaded: '#f08c00',
  bootstrapping: '#2f9e44',
  connection: '#0c8599',
  other: '#495057',
};

function latencySeries(
  intervals: readonly IntervalReport[],
  pick: (iv: IntervalReport) => { count: number; p50: number; p99: number; p999: number },
  palette: [string, string, string],
): ChartSeries[] {
  const names = [
    ['p50', 'p50'],
    ['p99', 'p99'],
    ['p99.9', 'p999'],
  ] as const;
  return names.map(([label, key], i) => ({
    label,
    color: palette[i]!,
    values: intervals.map((iv) => positive(pick(iv)[key], pick(iv).count)),
  }));
}

function errorSeries(intervals: readonly IntervalReport[]): ChartSeries[] {
  const perInterval = intervals.map((iv) => addErrorCounts(iv.writes.retriedErrors, iv.reads.errors));
  const present = ERROR_CLASSES.filter((k) => perInterval.some((e) => e[k] > 0));
  const series: ChartSeries[] = present.map((k) => ({
    label: k,
    color: ERROR_COLORS[k],
    values: perInterval.map((e) => e[k]),
  }));
  const lost = intervals.map((iv) => iv.reads.missing + iv.reads.corrupt);
  if (lost.some((n) => n > 0)) series.push({ label: 'missing+corrupt', color: '#e03131', values: lost });
  // A clean run still gets a visible (flat) line, so "no errors" reads as measured, not as missing data.
  return series.length > 0 ? series : [{ label: 'errors', color: '#2f9e44', values: intervals.map(() => 0) }];
}

function charts(intervals: readonly IntervalReport[]): ChartSpec[] {
  return [
    {
      id: 'throughput',
      title: 'Throughput',
      unit: 'rows/s',
      rightUnit: 'reads/s',
      log: false,
      stepped: false,
      series: [
        { label: 'write rows/s', color: '#1c7ed6', values: intervals.map((iv) => iv.writes.rowsPerSec) },
        { label: 'reads/s', color: '#2f9e44', right: true, values: intervals.map((iv) => iv.reads.readsPerSec) },
        {
          label: 'reads/s target',
          color: '#868e96',
          right: true,
          dash: [6, 4],
          values: intervals.map((iv) => iv.reads.targetPerSec),
        },
      ],
    },
    {
      id: 'write-latency',
      title: 'Write latency per row (log scale)',
      unit: 'ms',
      log: true,
      stepped: false,
      series: latencySeries(intervals, (iv) => iv.writes.rowLatency, ['#74c0fc', '#1c7ed6', '#0b3d91']),
    },
    {
      id: 'read-latency',
      title: 'Read response time from intended start (log scale)',
      unit: 'ms',
      log: true,
      stepped: false,
      series: [
        ...latencySeries(intervals, (iv) => iv.reads.responseLatency, ['#8ce99a', '#2f9e44', '#1b5e20']),
        {
          label: 'service p99',
          color: '#868e96',
          dash: [6, 4],
          values: intervals.map((iv) => positive(iv.reads.serviceLatency.p99, iv.reads.serviceLatency.count)),
        },
      ],
    },
    {
      id: 'errors',
      title: 'Errors per interval by class',
      unit: 'errors',
      log: false,
      stepped: true,
      series: errorSeries(intervals),
    },
    {
      // Beside the throughput chart, this tells a dip caused by the cluster from one caused by the client.
      id: 'loader',
      title: 'Loader (this process): CPU and event-loop delay',
      unit: '% of a core',
      rightUnit: 'ms',
      log: false,
      stepped: false,
      series: [
        { label: 'loader cpu % of a core', color: '#5f3dc4', values: intervals.map((iv) => iv.loader.cpuPercent) },
        { label: 'busiest loader thread %', color: '#1c7ed6', values: intervals.map((iv) => iv.loader.busiestThreadPercent) },
        { label: `loader-bound at ${LOADER_CPU_LIMIT_PERCENT}% (a thread)`, color: '#e03131', dash: [6, 4], values: intervals.map(() => LOADER_CPU_LIMIT_PERCENT) },
        { label: 'loop delay p99 ms', color: '#f08c00', right: true, values: intervals.map((iv) => iv.loader.eventLoopDelayP99Ms) },
      ],
    },
  ];
}

function markerTone(type: string): ChartData['markers'][number]['tone'] | null {
  if (type.startsWith('row-')) return 'loss';
  if (type.startsWith('resize')) return 'resize';
  if (!/^(node|host)/.test(type)) return null;
  return /(down|removed|remove)$/.test(type) ? 'down' : 'up';
}

function markerText(e: TimelineEvent): string {
  const details = Object.entries(e)
    .filter(([k, v]) => k !== 'at' && k !== 'type' && v !== null && typeof v !== 'object')
    .map(([k, v]) => `${k}=${String(v)}`);
  return [e.type, ...details].join(' ');
}

export function buildChartData(summary: RunSummary, intervals: readonly IntervalReport[], events: TimelineEvent[]): ChartData {
  const markers: ChartData['markers'] = [];
  for (const e of events) {
    const tone = markerTone(e.type);
    if (tone && markers.length < MAX_MARKERS) markers.push({ at: toSec(e.at), tone, text: markerText(e) });
  }
  return {
    t: intervals.map((iv) => toSec(iv.endMs)),
    charts: charts(intervals),
    phases: summary.phases.map((p) => ({
      start: toSec(p.startMs),
      end: toSec(p.endMs),
      kind: p.phase.kind,
      key: p.key,
      label: p.label,
    })),
    markers,
  };
}
