/// <reference lib="es2024.sharedmemory" />
import type { InflightLimiter, Permit, ReleaseOutcome } from './limiter.js';
import { PermitQueue } from './permitQueue.js';

// AimdLimiter's limit (see limiter.ts for the AIMD rules) with its state in shared memory, so every worker
// thread of the process draws from ONE in-flight cap with ONE AIMD state: an overload seen in any thread cuts
// the limit for all. The limit is kept as the bits of a float64 and updated by compare-exchange, so the
// arithmetic is exactly AimdLimiter's; permits held, the congestion epoch and the cut count are int32s.
//
// Waiting: each thread queues its own waiters, FIFO within the thread, and one pump per thread with waiters
// sleeps on a wake counter (Atomics.waitAsync) that every release bumps and notifies. Across threads there is
// no queue order: a freed permit goes to whichever waiting thread's pump claims it first. What does hold
// across threads: while any thread has a waiter, tryAcquire in every thread returns null, so fresh arrivals
// never overtake a waiter, and a release always wakes every waiting thread, so no thread misses a permit.

/** What the main thread passes to the workers (in workerData): structured clone keeps the buffer shared. */
export interface SharedLimiterHandle {
  readonly buffer: SharedArrayBuffer;
  readonly cap: number;
  readonly floor: number;
  readonly decrease: number;
  /** Threads that draw permits, each counted on its own too, so what a dead one held can be given back (forget). */
  readonly owners: number;
}

// Int32 slots after the 8-byte float64 limit.
const HELD = 0;
const EPOCH = 1;
const CUTS = 2;
/** Bumped by every release; pumps sleep on it. */
const WAKE = 3;
/** Acquires queued in any thread. */
const WAITERS = 4;
const INT_SLOTS = 5;
// Then per owner: permits it holds, acquires it has queued.
const heldBy = (owner: number): number => INT_SLOTS + 2 * owner;
const waitingBy = (owner: number): number => INT_SLOTS + 2 * owner + 1;

// Thread-local scratch to move a float64 in and out of its bits (each thread has its own module instance).
const scratch = new Float64Array(1);
const scratchBits = new BigInt64Array(scratch.buffer);
const toNumber = (bits: bigint): number => {
  scratchBits[0] = bits;
  return scratch[0]!;
};
const toBits = (x: number): bigint => {
  scratch[0] = x;
  return scratchBits[0]!;
};

export class SharedAimdLimiter implements InflightLimiter {
  private readonly current: BigInt64Array;
  private readonly state: Int32Array;
  private readonly cap: number;
  private readonly floor: number;
  private readonly decrease: number;
  private readonly queue = new PermitQueue(() => this.dequeued());
  private pumping = false;
  /** A pending Atomics.waitAsync does not keep a thread alive; this timer does while the thread has waiters. */
  private keepAlive: ReturnType<typeof setInterval> | null = null;

  /** The shared state, at the cap with nothing in flight; pass the handle to every thread's constructor. */
  static create(cap: number, floor = 1, decrease = 0.5, owners = 1): SharedLimiterHandle {
    const buffer = new SharedArrayBuffer(8 + 4 * (INT_SLOTS + 2 * owners));
    new BigInt64Array(buffer, 0, 1)[0] = toBits(cap);
    return { buffer, cap, floor, decrease, owners };
  }

  /**
   * Gives back what `owner` held and had queued, once that thread has ended (call it only then: a live owner
   * would count its permits twice). Without it, a dead thread's permits would lower every other thread's cap,
   * and its queued waiters would keep fresh arrivals in every thread on the slow path, for the rest of the run.
   */
  static forget(handle: SharedLimiterHandle, owner: number): void {
    const state = new Int32Array(handle.buffer, 8, INT_SLOTS + 2 * handle.owners);
    Atomics.sub(state, HELD, Atomics.exchange(state, heldBy(owner), 0));
    Atomics.sub(state, WAITERS, Atomics.exchange(state, waitingBy(owner), 0));
    Atomics.add(state, WAKE, 1);
    Atomics.notify(state, WAKE);
  }

  private readonly held: number;
  private readonly waiting: number;

  /** `owner`: which of the handle's owners this thread is (0 … owners − 1). */
  constructor(handle: SharedLimiterHandle, owner = 0) {
    if (!Number.isInteger(owner) || owner < 0 || owner >= handle.owners) throw new RangeError(`owner ${owner} out of 0..${handle.owners - 1}`);
    this.current = new BigInt64Array(handle.buffer, 0, 1);
    this.state = new Int32Array(handle.buffer, 8, INT_SLOTS + 2 * handle.owners);
    this.held = heldBy(owner);
    this.waiting = waitingBy(owner);
    this.cap = handle.cap;
    this.floor = handle.floor;
    this.decrease = handle.decrease;
  }

  get limit(): number {
    return Math.max(this.floor, Math.floor(toNumber(Atomics.load(this.current, 0))));
  }

  get inflight(): number {
    return Atomics.load(this.state, HELD);
  }

  get cuts(): number {
    return Atomics.load(this.state, CUTS);
  }

  tryAcquire(): Permit | null {
    if (Atomics.load(this.state, WAITERS) > 0) return null;
    return this.claim();
  }

  /** One permit if the limit allows, whoever waits. */
  private claim(): Permit | null {
    const limit = this.limit;
    for (;;) {
      const held = Atomics.load(this.state, HELD);
      if (held >= limit) return null;
      if (Atomics.compareExchange(this.state, HELD, held, held + 1) === held) {
        Atomics.add(this.state, this.held, 1);
        return { epoch: Atomics.load(this.state, EPOCH) };
      }
    }
  }

  acquire(signal?: AbortSignal): Promise<Permit | null> {
    if (signal?.aborted) return Promise.resolve(null);
    const now = this.tryAcquire();
    if (now) return Promise.resolve(now);
    const granted = this.queue.wait(signal);
    Atomics.add(this.state, WAITERS, 1);
    Atomics.add(this.state, this.waiting, 1);
    this.keepAlive ??= setInterval(() => {}, 1 << 30);
    // A pump already running (even one asleep after its waiters aborted) wakes at the next release, the only
    // thing that frees a permit, and then serves this waiter too.
    if (!this.pumping) void this.pump();
    return granted;
  }

  /** Grants this thread's waiters in order while permits are free; sleeps until a release in any thread. */
  private async pump(): Promise<void> {
    this.pumping = true;
    while (this.queue.length > 0) {
      // Read the wake counter before looking: a release after this read makes the wait return at once.
      const seen = Atomics.load(this.state, WAKE);
      this.grantWaiting();
      if (this.queue.length === 0) break;
      const wait = Atomics.waitAsync(this.state, WAKE, seen);
      if (wait.async) await wait.value;
    }
    this.pumping = false;
  }

  private grantWaiting(): void {
    while (this.queue.length > 0) {
      const permit = this.claim();
      if (!permit) return;
      this.queue.grantNext(permit);
    }
  }

  private dequeued(): void {
    Atomics.sub(this.state, WAITERS, 1);
    Atomics.sub(this.state, this.waiting, 1);
    if (this.queue.length === 0 && this.keepAlive) {
      clearInterval(this.keepAlive);
      this.keepAlive = null;
    }
  }

  release(permit: Permit, outcome: ReleaseOutcome): void {
    Atomics.sub(this.state, this.held, 1);
    Atomics.sub(this.state, HELD, 1);
    if (outcome === 'ok') {
      this.updateLimit((c) => Math.min(this.cap, c + 1 / Math.max(1, c)));
    } else if (outcome === 'overload' && Atomics.compareExchange(this.state, EPOCH, permit.epoch, permit.epoch + 1) === permit.epoch) {
      // Only the release that moves the epoch on cuts: a burst of overloads from one epoch, in any threads, cuts once.
      this.updateLimit((c) => Math.max(this.floor, c * this.decrease));
      Atomics.add(this.state, CUTS, 1);
    }
    // A waiter counts itself in WAITERS before its pump reads WAKE, so when no waiter is counted here any pump
    // that starts later sees this release; the notify (a lock in V8) is only for pumps already asleep.
    Atomics.add(this.state, WAKE, 1);
    if (Atomics.load(this.state, WAITERS) > 0) Atomics.notify(this.state, WAKE);
  }

  private updateLimit(next: (current: number) => number): void {
    for (;;) {
      const bits = Atomics.load(this.current, 0);
      if (Atomics.compareExchange(this.current, 0, bits, toBits(next(toNumber(bits)))) === bits) return;
    }
  }
}
