import * as hdr from 'hdr-histogram-js';
import type { LatencyStats } from './types.js';

// Latency is recorded in microseconds with 3 significant digits up to 10 minutes. A live histogram (the one
// being recorded into and merged every interval) uses 32-bit buckets: recording, merging and reading
// percentiles are 5–20× cheaper than with the 'packed' layout (bench/histogramCost.mjs), at a fixed 86 KB.
// A histogram that only has to be kept (a finished phase) can be frozen into the packed layout, which takes
// space in proportion to the distinct values seen, so many phases over days do not add up.
const HIGHEST_US = 600_000_000;

type Layout = 32 | 'packed';

function build(layout: Layout): hdr.Histogram {
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: 3,
    bitBucketSize: layout,
    useWebAssembly: false,
  });
}

// The JS histogram's internals used for a one-pass mean and bucket counts (the library's `mean` walks an iterator that
// allocates an object per distinct value, which is most of the cost of reading stats).
interface JsInternals {
  maxValue: number;
  countsArrayLength: number;
  getCountAtIndex(i: number): number;
  valueFromIndex(i: number): number;
  medianEquivalentValue(v: number): number;
}

export interface HistogramWire {
  hdr: string;
  maxUs: number;
}

export class LatencyHistogram {
  private h = build(32);
  private frozen = false;

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

  /**
   * Moves the counts into the compact packed layout; everything still works, but recording into and merging
   * into a frozen histogram are slower, so freeze only histograms that are kept for reporting.
   */
  freeze(): void {
    if (this.frozen) return;
    const packed = build('packed');
    if (this.h.totalCount > 0) packed.add(this.h);
    this.h = packed;
    this.frozen = true;
  }

  get count(): number {
    return this.h.totalCount;
  }

  /**
   * The whole histogram, lossless: the counts in HdrHistogram's standard compressed form (V2, deflate, base64)
   * and the exact maximum, which that form does not keep (a decoded one reports its bucket's top). This is how
   * histograms cross threads and are kept in run folders, so merging them later is exact.
   */
  encode(): HistogramWire {
    return { hdr: hdr.encodeIntoCompressedBase64(this.h), maxUs: this.h.maxValue };
  }

  /** The inverse of encode(): a live histogram with exactly the encoded counts and maximum. */
  static decode(wire: HistogramWire): LatencyHistogram {
    const out = new LatencyHistogram();
    const decoded = hdr.decodeFromCompressedBase64(wire.hdr, 32, false);
    if (decoded.totalCount > 0) {
      out.h.add(decoded);
      (out.h as unknown as JsInternals).maxValue = wire.maxUs;
    }
    return out;
  }

  private mean(): number {
    return this.cumulative([]).sumMicros / this.h.totalCount;
  }

  /**
   * One walk over the buckets: how many recorded values are at or below each bound (ascending, microseconds),
   * and the sum of all values; this is what a Prometheus histogram needs. A value counts as at or below a bound
   * when the lowest value of its HDR bucket is, so a count can be off only within the 3-digit precision.
   */
  cumulative(boundsMicros: readonly number[]): { atOrBelow: number[]; sumMicros: number } {
    const h = this.h as unknown as JsInternals;
    const atOrBelow = new Array<number>(boundsMicros.length).fill(0);
    let sumMicros = 0;
    let seen = 0;
    let b = 0;
    const n = h.countsArrayLength;
    for (let i = 0; i < n; i++) {
      const c = h.getCountAtIndex(i);
      if (c === 0) continue;
      const v = h.valueFromIndex(i);
      while (b < boundsMicros.length && boundsMicros[b]! < v) atOrBelow[b++] = seen;
      seen += c;
      sumMicros += h.medianEquivalentValue(v) * c;
    }
    while (b < boundsMicros.length) atOrBelow[b++] = seen;
    return { atOrBelow, sumMicros };
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
      mean: ms(this.mean()),
    };
  }
}
