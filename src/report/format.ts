// Number formatting shared by every reporter, so the terminal, JSON-derived HTML and status line agree on
// what "1.2 ms" or "12,345" means.

import { ERROR_CLASSES, type ErrorCounts } from '../metrics/types.js';

const DASH = '–';

function finite(n: number): boolean {
  return typeof n === 'number' && Number.isFinite(n);
}

/** Milliseconds with precision that matches the magnitude: sub-ms stalls and multi-second stalls both stay legible. */
export function fmtMs(ms: number): string {
  if (!finite(ms)) return DASH;
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)}s`;
  if (ms >= 100) return `${Math.round(ms)}ms`;
  if (ms >= 10) return `${ms.toFixed(1)}ms`;
  return `${ms.toFixed(2)}ms`;
}

/** Integer count with thousands separators; fixed locale so output does not depend on the machine. */
export function fmtCount(n: number): string {
  if (!finite(n)) return DASH;
  return Math.round(n).toLocaleString('en-US');
}

/** A per-second rate: whole numbers above 100, one decimal below so low read rates are not rounded to 0. */
export function fmtRate(perSec: number): string {
  if (!finite(perSec)) return DASH;
  if (Math.abs(perSec) >= 100) return fmtCount(perSec);
  return perSec.toFixed(1);
}

/** "6m 52s", "1h 03m", "42s", "850ms". */
export function fmtDuration(ms: number | null): string {
  if (ms === null || !finite(ms)) return DASH;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const totalSec = Math.round(ms / 1000);
  const h = Math.floor(totalSec / 3600);
  const m = Math.floor((totalSec % 3600) / 60);
  const s = totalSec % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(s).padStart(2, '0')}s`;
  return `${s}s`;
}

/** A signed relative change against a baseline: "+12.3%", "−4.0%"; a dash when there is no baseline. */
export function fmtChange(value: number, baseline: number): string {
  if (!finite(value) || !finite(baseline) || baseline === 0) return DASH;
  const change = (value - baseline) / baseline;
  const sign = change > 0 ? '+' : change < 0 ? '−' : '±';
  return `${sign}${Math.abs(change * 100).toFixed(1)}%`;
}

/** Relative change as a number (or null), for callers that need to colour by sign. */
export function relativeChange(value: number, baseline: number): number | null {
  if (!finite(value) || !finite(baseline) || baseline === 0) return null;
  return (value - baseline) / baseline;
}

/** Only the nonzero error classes, compact: "busy 12 timeout 3"; empty string when there are none. */
export function fmtErrorCounts(counts: ErrorCounts): string {
  return ERROR_CLASSES.filter((c) => (counts[c] ?? 0) > 0)
    .map((c) => `${c} ${fmtCount(counts[c])}`)
    .join(' ');
}

/** ISO time of day in UTC ("14:03:27"), used to place events without a date on every line. */
export function fmtClock(epochMs: number): string {
  if (!finite(epochMs)) return DASH;
  return new Date(epochMs).toISOString().slice(11, 19);
}

const ANSI = { bold: 1, dim: 2, red: 31, green: 32, yellow: 33, cyan: 36 } as const;
export type Tone = keyof typeof ANSI;

/** Wraps text in an ANSI style only when colour is on, so callers never branch on it themselves. */
export function paint(text: string, tone: Tone, color: boolean): string {
  return color ? `\u001b[${ANSI[tone]}m${text}\u001b[0m` : text;
}

const ANSI_PATTERN = /\u001b\[[0-9;]*m/g;

/** Width as the terminal shows it: escape codes take no columns. */
export function visibleWidth(text: string): number {
  return [...text.replace(ANSI_PATTERN, '')].length;
}

/** "2025-01-15 14:00:00 → 14:05:00 UTC"; the end date is repeated only when the run crosses midnight. */
export function fmtTimeRange(startIso: string, endIso: string): string {
  const start = new Date(startIso);
  const end = new Date(endIso);
  if (!finite(start.getTime()) || !finite(end.getTime())) return `${startIso} → ${endIso}`;
  const [startDay, startTime] = start.toISOString().slice(0, 19).split('T') as [string, string];
  const [endDay, endTime] = end.toISOString().slice(0, 19).split('T') as [string, string];
  return `${startDay} ${startTime} → ${endDay === startDay ? '' : `${endDay} `}${endTime} UTC`;
}
