// What the run has acknowledged, in memory that does not grow with the number of rows: ids are made from
// sequence numbers (rowContent.ts), sequence numbers are handed out in order, and only the ranges still in
// flight or given up are kept. Everything below the watermark that is not a failed range was acknowledged.

type Range = [start: number, end: number];

export class IdLedger {
  private nextSeq = 0;
  private readonly inflight = new Map<number, number>();
  private cachedWatermark: number | null = 0;
  /** Sorted, non-overlapping ranges of rows that were never acknowledged. */
  private readonly failed: Range[] = [];
  private failedCount = 0;
  private failedEnd = 0;
  acknowledgedRows = 0;

  /**
   * `recentWindow` bounds which ids readers pick from: the last N settled sequence numbers. `onSettle` runs after
   * every settled batch (worker threads publish the ledger's bounds from it, see ledgerBoard.ts).
   */
  constructor(
    readonly recentWindow: number,
    private readonly onSettle?: (ledger: IdLedger) => void,
  ) {}

  /** Every settled sequence number at or above this was acknowledged: it is the end of the last failed range. */
  get cleanFrom(): number {
    return this.failedEnd;
  }

  /** Hands out `n` consecutive sequence numbers for one batch. */
  reserve(n: number): number {
    const start = this.nextSeq;
    this.nextSeq += n;
    this.inflight.set(start, n);
    if (this.cachedWatermark === null || this.inflight.size === 1) this.cachedWatermark = null;
    return start;
  }

  acknowledge(start: number, n: number): void {
    this.acknowledgedRows += n;
    this.settle(start);
  }

  /** The batch was given up: its rows may or may not be stored, and nobody will read them as acknowledged. */
  fail(start: number, n: number): void {
    this.failedEnd = Math.max(this.failedEnd, start + n);
    this.failedCount += n;
    const last = this.failed[this.failed.length - 1];
    if (!last || last[1] <= start) {
      if (last && last[1] === start) last[1] = start + n;
      else this.failed.push([start, start + n]);
    } else {
      this.failed.splice(this.upperBound(start), 0, [start, start + n]);
    }
    this.settle(start);
  }

  private settle(start: number): void {
    this.inflight.delete(start);
    if (this.cachedWatermark === start) this.cachedWatermark = null;
    this.onSettle?.(this);
  }

  /** Every sequence number below this has been settled (acknowledged or failed). */
  watermark(): number {
    if (this.cachedWatermark === null) {
      let min = this.nextSeq;
      for (const s of this.inflight.keys()) if (s < min) min = s;
      this.cachedWatermark = min;
    }
    return this.cachedWatermark;
  }

  get issued(): number {
    return this.nextSeq;
  }

  get failedRows(): number {
    return this.failedCount;
  }

  get inflightBatches(): number {
    return this.inflight.size;
  }

  // Index of the first failed range whose start is > seq.
  private upperBound(seq: number): number {
    let lo = 0;
    let hi = this.failed.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.failed[mid]![0] <= seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  isAcknowledged(seq: number): boolean {
    if (seq >= this.watermark() || seq < 0) return false;
    const i = this.upperBound(seq) - 1;
    return i < 0 || seq >= this.failed[i]![1];
  }

  /** A random acknowledged sequence number among the recent window, or null while there is none. */
  pickRecent(random: () => number): number | null {
    const top = this.watermark();
    const bottom = Math.max(0, top - this.recentWindow);
    if (top <= bottom) return null;
    for (let tries = 0; tries < 8; tries++) {
      const seq = bottom + Math.floor(random() * (top - bottom));
      if (this.isAcknowledged(seq)) return seq;
    }
    return null;
  }

  /**
   * Acknowledged sequence numbers for the final sweep: all of them when there are at most `limit`,
   * otherwise `limit` of them spread evenly by rank over the whole run, failed ranges stepped over.
   */
  *sweep(limit: number): Generator<number> {
    const top = this.watermark();
    let failedBelowTop = 0;
    for (const [start, end] of this.failed) if (end <= top) failedBelowTop += end - start;
    const total = top - failedBelowTop;
    const n = Math.min(limit, total);
    let fi = 0;
    let skipped = 0;
    for (let i = 0; i < n; i++) {
      const rank = n === total ? i : Math.floor((i * total) / n);
      // seq = rank + the length of every failed range at or before it
      while (fi < this.failed.length && this.failed[fi]![0] <= rank + skipped) {
        skipped += this.failed[fi]![1] - this.failed[fi]![0];
        fi++;
      }
      yield rank + skipped;
    }
  }
}
