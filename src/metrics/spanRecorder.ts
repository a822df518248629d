import type { SpanAccumulator } from './span.js';
import type { ErrorClass } from './types.js';

/** An event for the timeline; the recorder that keeps it stamps the time and phase it lacks. */
export interface EventInput {
  type: string;
  at?: number;
  [detail: string]: unknown;
}

/** What the load loops record into: the same calls whether the loop runs on the main thread or in a worker. */
export interface LoadRecorder {
  /** `responseMicros` from the intended start, `serviceMicros` from the send (the same in the closed loop). */
  recordWrite(rows: number, responseMicros: number, serviceMicros: number): void;
  recordWriteRetry(cls: ErrorClass): void;
  recordWriteFailed(rows: number, cls: ErrorClass): void;
  recordRead(responseMicros: number, serviceMicros: number): void;
  recordReadError(cls: ErrorClass): void;
  recordNotYetVisible(): void;
  recordLoss(kind: 'missing' | 'corrupt', id: string, detectedBy: 'read' | 'sweep', detail?: string): void;
  event(e: EventInput): void;
}

/**
 * The counting half of a recorder: every sample lands in the span that is open now. Where that span lives and
 * what happens to a loss or an event differ between the main thread's Recorder and a worker thread's.
 */
export abstract class SpanRecorder implements LoadRecorder {
  /** The span that samples go to at this moment. */
  protected abstract span(): SpanAccumulator;
  /** Keeps the record of a lost or corrupt row (the interval count is already taken). */
  protected abstract noteLoss(kind: 'missing' | 'corrupt', id: string, detectedBy: 'read' | 'sweep', detail?: string): void;
  abstract event(e: EventInput): void;

  recordWrite(rows: number, responseMicros: number, serviceMicros: number): void {
    const c = this.span();
    c.batches++;
    c.rows += rows;
    c.batchLatency.record(responseMicros);
    c.rowLatency.record(responseMicros, rows);
    c.writeServiceLatency.record(serviceMicros);
  }

  recordWriteRetry(cls: ErrorClass): void {
    this.span().retriedErrors[cls]++;
  }

  recordWriteFailed(rows: number, cls: ErrorClass): void {
    const c = this.span();
    c.failedBatches++;
    c.failedRows += rows;
    c.retriedErrors[cls]++;
  }

  recordRead(responseMicros: number, serviceMicros: number): void {
    const c = this.span();
    c.readsCompleted++;
    c.responseLatency.record(responseMicros);
    c.serviceLatency.record(serviceMicros);
  }

  recordReadError(cls: ErrorClass): void {
    this.span().readErrors[cls]++;
  }

  recordNotYetVisible(): void {
    this.span().notYetVisible++;
  }

  recordLoss(kind: 'missing' | 'corrupt', id: string, detectedBy: 'read' | 'sweep', detail?: string): void {
    if (detectedBy === 'read') this.span()[kind]++;
    this.noteLoss(kind, id, detectedBy, detail);
  }
}
