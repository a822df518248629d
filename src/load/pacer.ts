import type { Clock } from '../clock.js';

// An open-loop schedule: read k is due at start + k/rate whatever happened to earlier reads, so a stalled
// cluster shows up as latency (measured from the due time) instead of as quietly fewer requests. Readers
// share one schedule by taking slots from it.

export class Pacer {
  private nextSlot = 0;
  private startMs: number;

  constructor(
    private readonly clock: Clock,
    private readonly ratePerSec: number,
  ) {
    this.startMs = clock.monotonic();
  }

  /** Restarts the schedule from now (used when reads begin after the first ids exist). */
  restart(): void {
    this.startMs = this.clock.monotonic();
    this.nextSlot = 0;
  }

  /** Due time (monotonic ms) of the next free slot, which the caller now owns. */
  take(): number {
    return this.startMs + (this.nextSlot++ * 1000) / this.ratePerSec;
  }

  /** Slots that fell due so far: the offered load. */
  dueBy(nowMs: number): number {
    return Math.max(0, Math.floor(((nowMs - this.startMs) * this.ratePerSec) / 1000) + 1);
  }

  get taken(): number {
    return this.nextSlot;
  }
}
