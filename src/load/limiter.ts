// One in-flight limit shared by every writer, adjusted AIMD-style like TCP congestion control: each
// acknowledged batch adds 1/limit (about +1 per window of batches), a sign of overload halves it. A burst
// of errors from requests sent before the last cut is one congestion event, not many, so it cuts once.

export interface Permit {
  readonly epoch: number;
}

export class AimdLimiter {
  private current: number;
  private epoch = 0;
  private held = 0;
  private readonly waiters: (() => void)[] = [];
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

  tryAcquire(): Permit | null {
    if (this.held >= this.limit) return null;
    this.held++;
    return { epoch: this.epoch };
  }

  /** Waits until the limit allows one more batch in flight; null when `signal` aborts first. */
  async acquire(signal?: AbortSignal): Promise<Permit | null> {
    for (;;) {
      if (signal?.aborted) return null;
      const p = this.waiters.length === 0 ? this.tryAcquire() : null;
      if (p) return p;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
      if (signal?.aborted) return null;
      const woken = this.tryAcquire();
      if (woken) return woken;
    }
  }

  private wakeOne(): void {
    const w = this.waiters.shift();
    if (w) w();
  }

  release(permit: Permit, outcome: 'ok' | 'overload' | 'neutral'): void {
    this.held--;
    if (outcome === 'ok') {
      this.current = Math.min(this.cap, this.current + 1 / Math.max(1, this.current));
    } else if (outcome === 'overload' && permit.epoch === this.epoch) {
      this.current = Math.max(this.floor, this.current * this.decrease);
      this.epoch++;
      this.cuts++;
    }
    this.wakeOne();
  }

  /** Wakes every waiter so loops that are stopping can see their abort signal. */
  wakeAll(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}
