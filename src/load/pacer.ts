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
    private readonly ratePerSec: number,
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
