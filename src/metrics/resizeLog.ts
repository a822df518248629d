import type { Phase } from '../phase.js';
import type { ResizeRecord } from './types.js';

interface ResizeEventLike {
  type: string;
  at: number;
  requestId?: string;
  from?: number;
  to?: number;
  durationMs?: number;
  resolutionMs?: number;
}

/** Turns the scaler's resize events into one record per resize, with its duration and outcome. */
export class ResizeLog {
  readonly records: ResizeRecord[] = [];
  private open: ResizeRecord | null = null;

  constructor(private readonly currentCycle: () => number) {}

  /** The scaler announces the resize before it enters the resizing phase, whose cycle is the resize's. */
  onPhase(p: Phase): void {
    if (p.kind === 'resizing' && this.open) this.open.cycle = p.cycle;
  }

  onEvent(e: ResizeEventLike): void {
    if (e.type === 'resize-submitted' || e.type === 'resize-adopted') {
      if (this.open && this.open.requestId === (e.requestId ?? null)) return;
      this.open = {
        cycle: this.currentCycle(),
        from: e.from ?? 0,
        to: e.to ?? 0,
        requestId: e.requestId ?? null,
        startMs: e.at,
        endMs: null,
        durationMs: null,
        outcome: 'unfinished',
      };
      this.records.push(this.open);
    } else if ((e.type === 'resize-completed' || e.type === 'resize-failed') && this.open) {
      this.open.endMs = e.at;
      this.open.durationMs = e.durationMs ?? e.at - this.open.startMs;
      if (e.resolutionMs !== undefined) this.open.resolutionMs = e.resolutionMs;
      this.open.outcome = e.type === 'resize-completed' ? 'completed' : 'failed';
      this.open = null;
    }
  }
}
