import type { Permit } from './limiter.js';

interface Waiter {
  grant: (p: Permit | null) => void;
  signal: AbortSignal | undefined;
}

/**
 * Waits for an in-flight permit, in arrival order, each with the signal that may call it off. A signal gets one
 * abort listener however many waits it guards (a writer waits once per batch), and its abort answers every wait
 * it guards with null.
 */
export class PermitQueue {
  private readonly waiters: Waiter[] = [];
  private readonly watched = new WeakSet<AbortSignal>();

  /** `onLeave` runs each time a wait leaves the queue, granted or called off. */
  constructor(private readonly onLeave: () => void = () => undefined) {}

  get length(): number {
    return this.waiters.length;
  }

  wait(signal?: AbortSignal): Promise<Permit | null> {
    if (signal && !this.watched.has(signal)) {
      this.watched.add(signal);
      signal.addEventListener('abort', () => this.callOff(signal), { once: true });
    }
    return new Promise((resolve) => this.waiters.push({ grant: resolve, signal }));
  }

  /** Hands the permit to the longest waiting; call only while length > 0. */
  grantNext(permit: Permit): void {
    const w = this.waiters.shift()!;
    this.onLeave();
    w.grant(permit);
  }

  private callOff(signal: AbortSignal): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (this.waiters[i]!.signal !== signal) continue;
      const [w] = this.waiters.splice(i, 1);
      this.onLeave();
      w!.grant(null);
    }
  }
}
