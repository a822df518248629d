import type { Clock } from '../clock.js';
import { slotDue, slotsDueBy, type Schedule } from './pacer.js';

// Pacer's open-loop schedule (see pacer.ts) with its slot counter and start time in shared memory, so the
// worker threads of one process take slots from ONE schedule: together they offer exactly the rate asked for.
// The counter is 64-bit: at a million slots a second a 32-bit one wraps within an hour. Start times are
// compared across threads, so every thread must use realClock (one time base for the process, clock.ts).

/** What the main thread passes to the workers (in workerData): structured clone keeps the buffer shared. */
export interface SharedScheduleHandle {
  readonly buffer: SharedArrayBuffer;
  readonly ratePerSec: number;
}

// Layout: int64 next slot | float64 start (ms) | float64 end (ms) | int32 state. The state only moves forward; a
// plain write of a time is published by the atomic store of the state that follows it.
const NOT_BEGUN = 0;
const BEGINNING = 1;
const BEGUN = 2;
const ENDING = 3;
const ENDED = 4;

export class SharedPacer implements Schedule {
  private readonly nextSlot: BigInt64Array;
  private readonly start: Float64Array;
  private readonly endAt: Float64Array;
  private readonly state: Int32Array;
  readonly ratePerSec: number;
  /** The shared start and end once this thread has seen them (they never change after). */
  private startMs: number | null = null;
  private endMs: number | null = null;

  static create(ratePerSec: number): SharedScheduleHandle {
    return { buffer: new SharedArrayBuffer(8 + 8 + 8 + 4), ratePerSec };
  }

  constructor(
    handle: SharedScheduleHandle,
    private readonly clock: Clock,
  ) {
    this.nextSlot = new BigInt64Array(handle.buffer, 0, 1);
    this.start = new Float64Array(handle.buffer, 8, 1);
    this.endAt = new Float64Array(handle.buffer, 16, 1);
    this.state = new Int32Array(handle.buffer, 24, 1);
    this.ratePerSec = handle.ratePerSec;
  }

  begin(): void {
    if (this.startMs !== null) return;
    if (Atomics.compareExchange(this.state, 0, NOT_BEGUN, BEGINNING) === NOT_BEGUN) {
      this.start[0] = this.clock.monotonic();
      Atomics.store(this.state, 0, BEGUN);
    } else {
      // Another thread won and is between its two stores: a few instructions, so spin.
      while (Atomics.load(this.state, 0) === BEGINNING);
    }
    this.startMs = this.start[0]!;
  }

  end(): void {
    if (Atomics.compareExchange(this.state, 0, BEGUN, ENDING) !== BEGUN) return;
    this.endAt[0] = this.clock.monotonic();
    Atomics.store(this.state, 0, ENDED);
  }

  get running(): boolean {
    return Atomics.load(this.state, 0) === BEGUN;
  }

  private begun(): number | null {
    if (this.startMs === null && Atomics.load(this.state, 0) >= BEGUN) this.startMs = this.start[0]!;
    return this.startMs;
  }

  private ended(): number | null {
    if (this.endMs === null && Atomics.load(this.state, 0) === ENDED) this.endMs = this.endAt[0]!;
    return this.endMs;
  }

  take(n = 1): number {
    const start = this.begun();
    if (start === null) throw new Error('SharedPacer.take() before begin()');
    const first = Number(Atomics.add(this.nextSlot, 0, BigInt(n)));
    return slotDue(start, first, this.ratePerSec);
  }

  dueBy(nowMs: number): number {
    return slotsDueBy(this.begun(), this.ended(), nowMs, this.ratePerSec);
  }

  get taken(): number {
    return Number(Atomics.load(this.nextSlot, 0));
  }
}
