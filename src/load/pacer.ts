import type { Clock } from '../clock.js';

// An open-loop schedule: slot k is due at start + k/rate whatever happened to earlier slots, so a stalled
// cluster shows up as latency (measured from the due time) instead of as quietly fewer requests. Readers
// (and, with SCY_WRITE_ROWS_PER_SEC, writers, one slot per row) share one schedule by taking slots from it.

/** One open-loop schedule: Pacer in one thread, SharedPacer across the worker threads of a process. */
export interface Schedule {
  /** Starts the schedule now; only the first call counts (in any thread), later ones change nothing. */
  begin(): void;
  /** Ends a begun schedule now: no slot falls due after it (so a stop is not counted as falling behind); first call counts. */
  end(): void;
  /** Begun and not ended. */
  readonly running: boolean;
  /** Takes the next `n` consecutive slots, which the caller now owns; returns the due time (monotonic ms) of the first. Only after begin(). */
  take(n?: number): number;
  /** Slots that fell due by `nowMs`: the offered load (0 before begin). */
  dueBy(nowMs: number): number;
  /** Slots taken so far. */
  readonly taken: number;
  /** Slots a second. */
  readonly ratePerSec: number;
}

/** k/rate without drift: each due time is computed from the start, never by adding gaps. */
export function slotDue(startMs: number, slot: number, ratePerSec: number): number {
  return startMs + (slot * 1000) / ratePerSec;
}

export function slotsDueBy(startMs: number | null, endMs: number | null, nowMs: number, ratePerSec: number): number {
  if (startMs === null) return 0;
  const at = endMs === null ? nowMs : Math.min(nowMs, endMs);
  return Math.max(0, Math.floor(((at - startMs) * ratePerSec) / 1000) + 1);
}

export class Pacer implements Schedule {
  private nextSlot = 0;
  private startMs: number | null = null;
  private endMs: number | null = null;

  constructor(
    private readonly clock: Clock,
    readonly ratePerSec: number,
  ) {}

  begin(): void {
    this.startMs ??= this.clock.monotonic();
  }

  end(): void {
    if (this.startMs !== null) this.endMs ??= this.clock.monotonic();
  }

  get running(): boolean {
    return this.startMs !== null && this.endMs === null;
  }

  take(n = 1): number {
    if (this.startMs === null) throw new Error('Pacer.take() before begin()');
    const first = this.nextSlot;
    this.nextSlot += n;
    return slotDue(this.startMs, first, this.ratePerSec);
  }

  dueBy(nowMs: number): number {
    return slotsDueBy(this.startMs, this.endMs, nowMs, this.ratePerSec);
  }

  get taken(): number {
    return this.nextSlot;
  }
}

/**
 * A schedule's slots handed out one at a time but claimed a run at a time: the slots due within `windowMs`
 * go to one thread. Claimed one by one, two threads at 2,000/s took alternate slots and each woke every
 * millisecond to send one read; a run lets one thread's wake send what falls due in that millisecond.
 */
export class SlotRuns {
  private readonly perRun: number;
  private readonly gapMs: number;
  private first = 0;
  private left = 0;
  private index = 0;

  constructor(
    private readonly schedule: Schedule,
    windowMs: number,
  ) {
    this.perRun = Math.max(1, Math.floor((schedule.ratePerSec * windowMs) / 1000));
    this.gapMs = 1000 / schedule.ratePerSec;
  }

  /** The due time of the next slot this caller owns (claiming a new run when the last one is used up). */
  next(): number {
    if (this.left === 0) {
      this.first = this.schedule.take(this.perRun);
      this.left = this.perRun;
      this.index = 0;
    }
    this.left--;
    return this.first + this.index++ * this.gapMs;
  }
}
