/**
 * Capped exponential backoff with jitter in the upper half of each step: attempt 0 waits between baseMs/2 and
 * baseMs, each later attempt twice as long, never more than capMs. One policy for CQL batch retries and Cloud
 * API GET retries.
 */
export function backoffMs(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** attempt);
  return ceiling / 2 + random() * (ceiling / 2);
}
