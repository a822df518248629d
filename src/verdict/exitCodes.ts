// The process exit codes, in one table: README's exit-code table and --help list the same codes and meanings.
// Scripts and CI read them, so a code, once given a meaning, keeps it.

export const EXIT = {
  ok: 0,
  internal: 1,
  badInput: 2,
  thresholdFailed: 3,
  dataLoss: 4,
  setupFailed: 5,
  runIncomplete: 6,
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** What each code means, in the order README and --help list them. */
export const EXIT_MEANINGS: readonly [ExitCode, string][] = [
  [EXIT.ok, 'run finished, did what was asked and every threshold passed'],
  [EXIT.badInput, 'bad setting or flag'],
  [EXIT.thresholdFailed, 'a threshold failed (latency, throughput share, error rate, resize duration)'],
  [EXIT.dataLoss, 'acknowledged rows were lost or corrupt (more than SCY_MAX_LOST_ROWS)'],
  [EXIT.setupFailed, "could not connect or create the schema, or the demo's local cluster could not start"],
  [EXIT.runIncomplete, 'the run did not do what was asked: the scaler stopped on an error it could not get past, fewer resize cycles than SCY_CYCLES completed, or a loader thread died'],
  [EXIT.internal, 'internal error'],
  [EXIT.interrupted, 'stopped by a second Ctrl+C, without drain or summary'],
];
