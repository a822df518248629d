import { availableParallelism } from 'node:os';
import { phaseKey } from '../phase.js';
import type { Output } from './recorder.js';
import type { LoaderSample } from './span.js';
import type { IntervalReport, SpanStats } from './types.js';

// Past these the client, not the cluster, may be what limits throughput or inflates latency: one of its event
// loops is near always busy (a loop cannot use a second core, however idle the others are), the machine's cores
// are all near full, or callbacks (and so latency timestamps) wait tens of milliseconds for a loop. With several
// threads the process's CPU passes 100% of a core as a matter of course, so that alone says nothing.
export const LOADER_CPU_LIMIT_PERCENT = 90;
export const LOADER_LOOP_LIMIT_MS = 50;

/** Why the loader may itself have been the limit over a span, or null when it had room to spare. */
export function loaderStrain(l: LoaderSample, cores = availableParallelism()): string | null {
  const why: string[] = [];
  if (l.busiestThreadPercent >= LOADER_CPU_LIMIT_PERCENT) why.push(`a loader thread ${l.busiestThreadPercent.toFixed(0)}% busy`);
  if (l.cpuPercent >= LOADER_CPU_LIMIT_PERCENT * cores) why.push(`cpu ${l.cpuPercent.toFixed(0)}% of ${cores} cores`);
  if (l.eventLoopDelayP99Ms >= LOADER_LOOP_LIMIT_MS) why.push(`event-loop delay p99 ${l.eventLoopDelayP99Ms.toFixed(0)} ms`);
  return why.length > 0 ? why.join(', ') : null;
}

/** Counts, as intervals arrive, those in which the loader was strained: fixed memory however long the run. */
export class LoaderStrainLog implements Output {
  intervals = 0;
  strained = 0;
  peakBusyPercent = 0;
  peakLoopMs = 0;
  /** Phase kinds (e.g. "resize 1→2"), not every cycle's phase: a run of days has few. */
  readonly phases = new Set<string>();

  interval(iv: IntervalReport): void {
    this.intervals++;
    if (loaderStrain(iv.loader) === null) return;
    this.strained++;
    this.peakBusyPercent = Math.max(this.peakBusyPercent, iv.loader.busiestThreadPercent);
    this.peakLoopMs = Math.max(this.peakLoopMs, iv.loader.eventLoopDelayP99Ms);
    this.phases.add(phaseKey(iv.phase));
  }
}

/**
 * What the summary says about the loader: the run as a whole, and the report intervals in which the loader was
 * strained, by phase, since a run can be fine on average and client-bound during one resize.
 */
export function loaderWarnings(overall: SpanStats, log: LoaderStrainLog): string[] {
  const out: string[] = [];
  // Over a whole run only the CPU is an average; loop delay and memory merge as the worst interval's.
  if (overall.loader.busiestThreadPercent >= LOADER_CPU_LIMIT_PERCENT) {
    out.push(`the busiest loader thread was ${overall.loader.busiestThreadPercent.toFixed(0)}% busy on average: the client, not the cluster, may have limited throughput and inflated latency`);
  }
  if (log.strained > 0) {
    out.push(
      `the loader was strained in ${log.strained} of ${log.intervals} report intervals ` +
        `(busiest thread up to ${log.peakBusyPercent.toFixed(0)}% busy, event-loop delay p99 up to ${log.peakLoopMs.toFixed(0)} ms), during ${[...log.phases].join(', ')}: ` +
        'figures there may show the client, not the cluster',
    );
  }
  if (overall.reads.scheduled > 0 && overall.reads.completed < overall.reads.scheduled * 0.99) {
    out.push(`reads fell behind their schedule: ${overall.reads.completed} done of ${overall.reads.scheduled} due`);
  }
  const w = overall.writes;
  if (w.rowsDue > 0 && w.rowsSent < w.rowsDue * 0.99) {
    out.push(`writes fell behind their schedule: ${w.rowsSent} rows sent of ${w.rowsDue} due (at most ${w.behindRows} behind at once)`);
  }
  return out;
}
