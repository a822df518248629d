import { phaseLabel } from '../phase.js';
import type { LoaderSample } from './span.js';
import type { IntervalReport, SpanStats } from './types.js';

// Past these the client, not the cluster, may be what limits throughput or inflates latency: its one event
// loop is near a full core, or callbacks (and so latency timestamps) wait tens of milliseconds for it.
export const LOADER_CPU_LIMIT_PERCENT = 90;
export const LOADER_LOOP_LIMIT_MS = 50;

/** Why the loader may itself have been the limit over a span, or null when it had room to spare. */
export function loaderStrain(l: LoaderSample): string | null {
  const why: string[] = [];
  if (l.cpuPercent >= LOADER_CPU_LIMIT_PERCENT) why.push(`cpu ${l.cpuPercent.toFixed(0)}% of a core`);
  if (l.eventLoopDelayP99Ms >= LOADER_LOOP_LIMIT_MS) why.push(`event-loop delay p99 ${l.eventLoopDelayP99Ms.toFixed(0)} ms`);
  return why.length > 0 ? why.join(', ') : null;
}

/**
 * What the summary says about the loader: the run as a whole, and each report interval in which the loader was
 * strained, by phase, since a run can be fine on average and client-bound during one resize.
 */
export function loaderWarnings(overall: SpanStats, intervals: readonly IntervalReport[]): string[] {
  const out: string[] = [];
  // Over a whole run only the CPU is an average; loop delay and memory merge as the worst interval's.
  if (overall.loader.cpuPercent >= LOADER_CPU_LIMIT_PERCENT) {
    out.push(`the loader used ${overall.loader.cpuPercent.toFixed(0)}% of a core on average: the client, not the cluster, may have limited throughput and inflated latency`);
  }
  const strained = intervals.filter((iv) => loaderStrain(iv.loader) !== null);
  if (strained.length > 0) {
    const phases = [...new Set(strained.map((iv) => phaseLabel(iv.phase)))];
    const peakCpu = Math.max(...strained.map((iv) => iv.loader.cpuPercent));
    const peakLoop = Math.max(...strained.map((iv) => iv.loader.eventLoopDelayP99Ms));
    out.push(
      `the loader was strained in ${strained.length} of ${intervals.length} report intervals ` +
        `(cpu up to ${peakCpu.toFixed(0)}% of a core, event-loop delay p99 up to ${peakLoop.toFixed(0)} ms), during ${phases.join(', ')}: ` +
        'figures there may show the client, not the cluster',
    );
  }
  if (overall.reads.scheduled > 0 && overall.reads.completed < overall.reads.scheduled * 0.99) {
    out.push(`reads fell behind their schedule: ${overall.reads.completed} done of ${overall.reads.scheduled} due`);
  }
  return out;
}
