import { addErrorCounts, totalErrors, zeroErrors } from './span.js';
import type { ErrorCounts, IntervalReport } from './types.js';

/**
 * An error burst is a run of report intervals with errors: one event where it starts (with the first counts)
 * and one where it ends (with the burst's totals), so the timeline marks it without a line per interval.
 */
export class ErrorBursts {
  private burst: { since: number; errors: ErrorCounts } | null = null;

  constructor(private readonly emit: (e: { type: string; at: number; [k: string]: unknown }) => void) {}

  observe(iv: IntervalReport): void {
    const errors = addErrorCounts(iv.writes.retriedErrors, iv.reads.errors);
    if (totalErrors(errors) > 0) {
      if (!this.burst) this.emit({ type: 'error-burst-start', at: iv.startMs, errors });
      this.burst = { since: this.burst?.since ?? iv.startMs, errors: addErrorCounts(this.burst?.errors ?? zeroErrors(), errors) };
    } else if (this.burst) {
      this.emit({ type: 'error-burst-end', at: iv.startMs, sinceMs: this.burst.since, errors: this.burst.errors });
      this.burst = null;
    }
  }
}
