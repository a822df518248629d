// One line per report interval: enough to watch a run live, short enough to scan while the cluster resizes.

import { loaderStrain } from '../metrics/loaderHealth.js';
import type { IntervalReport } from '../metrics/types.js';
import { phaseLabel, type Phase } from '../phase.js';
import { fmtCount, fmtDuration, fmtErrorCounts, fmtMs, fmtRate, paint, type Tone } from './format.js';

/** A resize in yellow and a stopped scaler in red stand out from steady and waiting phases. */
const PHASE_COLOR: Record<Phase['kind'], Tone> = {
  'load-only': 'cyan',
  waiting: 'cyan',
  steady: 'cyan',
  resizing: 'yellow',
  'scaler-stopped': 'red',
};

export function renderStatusLine(iv: IntervalReport, scalerState: string, opts: { color: boolean }): string {
  const { color } = opts;
  const w = iv.writes;
  const r = iv.reads;
  const parts = [
    paint(phaseLabel(iv.phase), PHASE_COLOR[iv.phase.kind], color),
    `writes ${fmtRate(w.rowsPerSec)}${w.targetRowsPerSec > 0 ? ` of ${fmtRate(w.targetRowsPerSec)}` : ''} rows/s in-flight ${iv.inflight}/${iv.inflightLimit} ` +
      `p50 ${fmtMs(w.rowLatency.p50)} p99 ${fmtMs(w.rowLatency.p99)}`,
    `reads ${fmtRate(r.readsPerSec)} of ${fmtRate(r.targetPerSec)}/s ` +
      `p50 ${fmtMs(r.responseLatency.p50)} p99 ${fmtMs(r.responseLatency.p99)}`,
  ];
  // Open-loop writes that could not keep up: the rows owed, and how long the schedule would take to send them.
  if (w.behindRows > 0) {
    const lag = w.targetRowsPerSec > 0 ? ` (${fmtDuration((w.behindRows / w.targetRowsPerSec) * 1000)})` : '';
    parts.push(paint(`writes behind ${fmtCount(w.behindRows)} rows${lag}`, 'yellow', color));
  }
  const writeErrors = fmtErrorCounts(w.retriedErrors);
  if (writeErrors) parts.push(paint(`write errors ${writeErrors}`, 'yellow', color));
  if (w.failedRows > 0) parts.push(paint(`failed rows ${fmtCount(w.failedRows)}`, 'red', color));
  const readErrors = fmtErrorCounts(r.errors);
  if (readErrors) parts.push(paint(`read errors ${readErrors}`, 'yellow', color));
  const lost = [
    r.missing > 0 ? `missing ${fmtCount(r.missing)}` : '',
    r.corrupt > 0 ? `corrupt ${fmtCount(r.corrupt)}` : '',
  ].filter(Boolean);
  if (lost.length > 0) parts.push(paint(lost.join(' '), 'red', color));
  const strain = loaderStrain(iv.loader);
  const loader = `loader cpu ${Math.round(iv.loader.cpuPercent)}% busiest thread ${Math.round(iv.loader.busiestThreadPercent)}% loop p99 ${fmtMs(iv.loader.eventLoopDelayP99Ms)} rss ${Math.round(iv.loader.rssMb)}MB`;
  parts.push(strain ? paint(`${loader} (loader-bound: figures may show the client, not the cluster)`, 'red', color) : loader);
  parts.push(`scaler ${scalerState}`);
  return parts.join(paint(' · ', 'dim', color));
}
