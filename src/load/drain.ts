import type { Clock } from '../clock.js';

/** Waits for the loops to end, then for the outstanding requests, at most `timeoutMs`; returns how many are left. */
export async function drainPending(
  loops: Promise<void>[],
  pending: Set<Promise<void>>,
  clock: Clock,
  timeoutMs: number,
): Promise<number> {
  await Promise.all(loops);
  const deadline = clock.monotonic() + timeoutMs;
  while (pending.size > 0 && clock.monotonic() < deadline) {
    await Promise.race([Promise.all([...pending]), clock.sleep(Math.min(100, deadline - clock.monotonic()))]);
  }
  return pending.size;
}
