import type { Clock } from '../clock.js';
import { SpanAccumulator } from './span.js';
import { SpanRecorder, type EventInput } from './spanRecorder.js';

// Report intervals are numbered, and the number of the one open now lives in shared memory. The main thread
// closes an interval by moving the number on: from that instant every thread records into the next one, so an
// interval (and so a phase) ends at the same boundary in every thread. The main thread then collects the spans
// each thread recorded under the closed numbers and merges them, histograms exactly.
export class IntervalCounter {
  private readonly cell: Int32Array;

  static create(): SharedArrayBuffer {
    return new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
  }

  constructor(buffer: SharedArrayBuffer) {
    this.cell = new Int32Array(buffer);
  }

  get open(): number {
    return Atomics.load(this.cell, 0);
  }

  /** Closes the open interval; returns its number. */
  advance(): number {
    return Atomics.add(this.cell, 0, 1);
  }
}

/** What a worker's recorder hands to the main thread as it happens: losses and events (both rare). */
export interface ThreadRecorderSink {
  loss(kind: 'missing' | 'corrupt', id: string, detectedBy: 'read' | 'sweep', detail?: string): void;
  event(e: EventInput): void;
}

/** A worker thread's recorder: samples go to the span of the interval open now; closed spans wait to be taken. */
export class ThreadRecorder extends SpanRecorder {
  private openNumber: number;
  private acc: SpanAccumulator;
  private readonly closed = new Map<number, SpanAccumulator>();

  constructor(
    private readonly counter: IntervalCounter,
    private readonly clock: Clock,
    private readonly sink: ThreadRecorderSink,
  ) {
    super();
    this.openNumber = counter.open;
    this.acc = new SpanAccumulator(clock.now());
  }

  protected span(): SpanAccumulator {
    const open = this.counter.open;
    if (open !== this.openNumber) {
      this.closed.set(this.openNumber, this.acc);
      this.openNumber = open;
      this.acc = new SpanAccumulator(this.clock.now());
    }
    return this.acc;
  }

  /** Everything recorded in intervals numbered up to `upTo` (all closed by now), merged; null when nothing was. */
  takeClosed(upTo: number): SpanAccumulator | null {
    this.span();
    let out: SpanAccumulator | null = null;
    for (const [n, acc] of this.closed) {
      if (n > upTo) continue;
      this.closed.delete(n);
      if (out) out.merge(acc);
      else out = acc;
    }
    return out;
  }

  protected noteLoss(kind: 'missing' | 'corrupt', id: string, detectedBy: 'read' | 'sweep', detail?: string): void {
    this.sink.loss(kind, id, detectedBy, detail);
  }

  event(e: EventInput): void {
    this.sink.event({ ...e, at: e.at ?? this.clock.now() });
  }
}
