/**
 * Rows in the next batch: uniform in [min, max], or, biased high as the original did, uniform in the upper
 * half [⌊(min+max)/2⌋, max] for fewer, larger requests.
 */
export function batchSize(min: number, max: number, biasHigh: boolean, random: () => number): number {
  const lo = biasHigh ? Math.floor((min + max) / 2) : min;
  return lo + Math.floor(random() * (max - lo + 1));
}
