// The verdict: whether the run passed and which exit code says why. It is decided from data only (threshold
// results by id, the scaler's outcome, failures of the run itself), never from display text, so adding a kind
// of failure is adding an entry, and every reason the run failed is listed, not just the one that set the code.

import { redact } from '../config/secret.js';
import type { FailureKind, ThresholdResult, VerdictFailure } from '../metrics/types.js';
import type { ScalerOutcome } from '../scaler/scaler.js';
import { EXIT, type ExitCode } from './exitCodes.js';

/** Something that kept the run from doing what was asked (the scaler gave up, a loader died, ...). */
export interface RunFailure {
  /** Stable id, e.g. 'scaler-fatal', 'cycles-short', 'loader-died'. */
  id: string;
  /** One line for people; secrets are masked again before it is shown. */
  message: string;
}

/** What the run was asked to do with the scaler, and how the scaler ended. */
export interface ScalerVerdictInput {
  outcome: ScalerOutcome | null;
  /** SCY_CYCLES, when set. */
  cyclesAsked: number | undefined;
  dryRun: boolean;
  /** SCY_ABORT_ON_FAIL stopped the run on a failed threshold: the cycles it cut short are that failure, not another. */
  stoppedByThreshold: boolean;
}

export interface VerdictInput {
  thresholds: ThresholdResult[];
  /** Null for a load-only run (no Cloud settings). */
  scaler: ScalerVerdictInput | null;
  /** Other reasons the run did not do what was asked; each fails it with EXIT.runIncomplete. */
  runFailures: RunFailure[];
}

export interface Verdict {
  exitCode: ExitCode;
  failures: VerdictFailure[];
}

// When several kinds fail, the most serious one sets the exit code: lost data first, then a run that did not
// do what was asked (its figures cover less than was asked for), then a threshold.
const PRECEDENCE: [FailureKind, ExitCode][] = [
  ['data-loss', EXIT.dataLoss],
  ['run-incomplete', EXIT.runIncomplete],
  ['threshold', EXIT.thresholdFailed],
];
const codeOf = (kind: FailureKind): ExitCode => PRECEDENCE.find(([k]) => k === kind)![1];

/** One line for a threshold result: "write p99 (batch) 812.0 ms (limit ≤ 500 ms) in cycle 1 · resize 3→6". */
export function describeThreshold(r: ThresholdResult): string {
  return `${r.name} ${r.actual} (limit ${r.limit}) in ${r.scope}`;
}

/** The ways a scaler run falls short of what was asked; a dry run is asked to resize nothing. */
export function scalerFailures(s: ScalerVerdictInput): RunFailure[] {
  const out: RunFailure[] = [];
  const o = s.outcome;
  if (o?.stopped === 'fatal') {
    out.push({ id: 'scaler-fatal', message: `the scaler stopped on an error it could not get past: ${o.reason ?? 'no reason given'}; load went on without resizes` });
  }
  if (!s.dryRun && !s.stoppedByThreshold && s.cyclesAsked !== undefined) {
    const done = o?.cyclesCompleted ?? 0;
    if (done < s.cyclesAsked) {
      out.push({ id: 'cycles-short', message: `${done} of ${s.cyclesAsked} resize cycles completed (SCY_CYCLES=${s.cyclesAsked})` });
    }
  }
  return out;
}

export function decideVerdict(input: VerdictInput): Verdict {
  const failures: VerdictFailure[] = [];
  const add = (kind: FailureKind, id: string, message: string): void => {
    failures.push({ kind, id, message: redact(message), exitCode: codeOf(kind) });
  };
  for (const r of input.thresholds) {
    if (!r.passed) add(r.id === 'lost-rows' ? 'data-loss' : 'threshold', r.id, describeThreshold(r));
  }
  for (const f of [...(input.scaler ? scalerFailures(input.scaler) : []), ...input.runFailures]) add('run-incomplete', f.id, f.message);
  // The reason that set the exit code comes first.
  const rank = (f: VerdictFailure): number => PRECEDENCE.findIndex(([k]) => k === f.kind);
  failures.sort((a, b) => rank(a) - rank(b));
  return { exitCode: failures[0] ? codeOf(failures[0].kind) : EXIT.ok, failures };
}
