import * as hdr from 'hdr-histogram-js';
import type { LatencyStats } from './types.js';

// Latency is recorded in microseconds with 3 significant digits up to 10 minutes, in a packed JS histogram
// (no WebAssembly start-up, small footprint for the many per-interval and per-phase copies).
const HIGHEST_US = 600_000_000;

export class LatencyHistogram {
  private readonly h = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: 3,
    bitBucketSize: 'packed',
    useWebAssembly: false,
  });

  record(micros: number, count = 1): void {
    const v = micros < 1 ? 1 : micros > HIGHEST_US ? HIGHEST_US : Math.round(micros);
    if (count === 1) this.h.recordValue(v);
    else this.h.recordValueWithCount(v, count);
  }

  add(other: LatencyHistogram): void {
    if (other.h.totalCount > 0) this.h.add(other.h);
  }

  reset(): void {
    this.h.reset();
  }

  get count(): number {
    return this.h.totalCount;
  }

  stats(): LatencyStats {
    const h = this.h;
    if (h.totalCount === 0) return { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 };
    const ms = (us: number): number => us / 1000;
    return {
      count: h.totalCount,
      p50: ms(h.getValueAtPercentile(50)),
      p90: ms(h.getValueAtPercentile(90)),
      p99: ms(h.getValueAtPercentile(99)),
      p999: ms(h.getValueAtPercentile(99.9)),
      max: ms(h.maxValue),
      mean: ms(h.mean),
    };
  }
}
