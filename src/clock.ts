// The one source of time. Everything that waits or timestamps takes a Clock so tests can drive time by hand.
export interface Clock {
  /** Wall-clock milliseconds since the epoch, for timestamps people read. */
  now(): number;
  /** Monotonic milliseconds with sub-millisecond resolution, for intervals and latency. */
  monotonic(): number;
  /** Resolves after `ms`, or early (without throwing) when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

// Due times taken in one worker thread are compared with the clock of another, so monotonic() must be one
// time base for the whole process. Node 20 gives worker threads the process's time origin, but the web spec
// (and so other runtimes) starts each worker's performance.now() at the worker's creation; shifting it once
// per thread onto the process-wide hrtime base makes the guarantee this clock's, at one addition per call.
// The offset is read between two performance.now() calls and taken at their midpoint.
const processTimeOffsetMs = ((): number => {
  const before = performance.now();
  const hr = Number(process.hrtime.bigint()) / 1e6;
  const after = performance.now();
  return hr - (before + after) / 2;
})();

export const realClock: Clock = {
  now: () => Date.now(),
  /** Milliseconds on the process-wide hrtime base: comparable across the worker threads of one process. */
  monotonic: () => performance.now() + processTimeOffsetMs,
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted || ms <= 0) return resolve();
      if (!signal) {
        setTimeout(resolve, ms);
        return;
      }
      // Only an abort clears the timer: clearing one that has fired costs a timer-list walk per sleep.
      const aborted = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', aborted);
        resolve();
      }, ms);
      signal.addEventListener('abort', aborted, { once: true });
    }),
};

/** A clock that only moves when told to; sleepers wake in deadline order. */
export class FakeClock implements Clock {
  private t: number;
  private readonly sleepers: { at: number; wake: () => void }[] = [];

  constructor(startMs = 1_700_000_000_000) {
    this.t = startMs;
  }

  now(): number {
    return this.t;
  }

  monotonic(): number {
    return this.t;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const entry = { at: this.t + Math.max(0, ms), wake: resolve };
      this.sleepers.push(entry);
      signal?.addEventListener(
        'abort',
        () => {
          const i = this.sleepers.indexOf(entry);
          if (i >= 0) this.sleepers.splice(i, 1);
          resolve();
        },
        { once: true },
      );
    });
  }

  /** Moves time forward, waking each sleeper whose deadline passes and letting its continuation run. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      this.sleepers.sort((a, b) => a.at - b.at);
      const next = this.sleepers[0];
      if (!next || next.at > end) break;
      this.sleepers.shift();
      this.t = Math.max(this.t, next.at);
      next.wake();
      await flushMicrotasks();
    }
    this.t = end;
    await flushMicrotasks();
  }
}

async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}
