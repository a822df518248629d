import { PermitQueue } from './permitQueue.js';

// One in-flight limit shared by every writer, adjusted AIMD-style like TCP congestion control: each
// acknowledged batch adds 1/limit (about +1 per window of batches), a sign of overload halves it. A burst
// of errors from requests sent before the last cut is one congestion event, not many, so it cuts once.
// Waiters are served strictly in arrival order: a freed slot is handed to the head of the queue.


export interface Permit {
  readonly epoch: number;
}

/** How a batch ended, for the limit: grow on 'ok', cut on 'overload', neither on 'neutral'. */
export type ReleaseOutcome = 'ok' | 'overload' | 'neutral';

/** What writers need of the in-flight limit: AimdLimiter in one thread, SharedAimdLimiter across threads. */
export interface InflightLimiter {
  readonly limit: number;
  readonly inflight: number;
  readonly cuts: number;
  /** A permit now, or null when the limit is reached or others are already waiting. */
  tryAcquire(): Permit | null;
  /** Waits for a permit; null when `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<Permit | null>;
  release(permit: Permit, outcome: ReleaseOutcome): void;
}

export class AimdLimiter implements InflightLimiter {
  private current: number;
  private epoch = 0;
  private held = 0;
  private readonly queue = new PermitQueue();
  cuts = 0;

  constructor(
    private readonly cap: number,
    private readonly floor = 1,
    private readonly decrease = 0.5,
  ) {
    this.current = cap;
  }

  get limit(): number {
    return Math.max(this.floor, Math.floor(this.current));
  }

  get inflight(): number {
    return this.held;
  }

  /** A permit now, or null when the limit is reached or others are already waiting. */
  tryAcquire(): Permit | null {
    if (this.queue.length > 0 || this.held >= this.limit) return null;
    this.held++;
    return { epoch: this.epoch };
  }

  /** Waits for a permit in arrival order; null when `signal` aborts first. */
  acquire(signal?: AbortSignal): Promise<Permit | null> {
    if (signal?.aborted) return Promise.resolve(null);
    const now = this.tryAcquire();
    if (now) return Promise.resolve(now);
    return this.queue.wait(signal);
  }

  release(permit: Permit, outcome: ReleaseOutcome): void {
    this.held--;
    if (outcome === 'ok') {
      this.current = Math.min(this.cap, this.current + 1 / Math.max(1, this.current));
    } else if (outcome === 'overload' && permit.epoch === this.epoch) {
      this.current = Math.max(this.floor, this.current * this.decrease);
      this.epoch++;
      this.cuts++;
    }
    while (this.queue.length > 0 && this.held < this.limit) {
      this.held++;
      this.queue.grantNext({ epoch: this.epoch });
    }
  }
}
