import type { Clock } from '../clock.js';
import { phaseKey, phaseLabel, type Phase } from '../phase.js';
import { sanitizeText } from '../text/sanitize.js';
import type { LoaderSample, SpanWire } from './span.js';
import { SpanAccumulator } from './span.js';
import { IntervalSeries } from './intervalSeries.js';
import { SpanRecorder, type EventInput } from './spanRecorder.js';
import type { IntervalReport, LossRecord, PhaseReport, SpanStats, TimelineEvent } from './types.js';

/** Every reporter gets the same stream: intervals, phase ends and events (k6's narrow output idea). */
export interface Output {
  /** `span` is the interval's own counts and histograms, closed: read it, never keep or change it. */
  interval?(iv: IntervalReport, span: SpanAccumulator): void;
  phaseEnded?(p: PhaseReport): void;
  event?(e: TimelineEvent): void;
}

/** Open-loop writes: the rows/s asked for (0 until writes begin), rows that fell due and rows taken to send. */
export interface WritesOffered {
  targetPerSec: number;
  rowsDue: number;
  rowsTaken: number;
}

export interface RecorderProbes {
  /** Reads per second the schedule currently asks for (0 while reads are not running). */
  readTarget(): number;
  /** Reads that fell due since the start (the offered load). */
  readsDue(): number;
  inflight(): { inflight: number; limit: number };
  loader(): LoaderSample;
  /** Open-loop writes only (SCY_WRITE_ROWS_PER_SEC). */
  writeSchedule?(): WritesOffered | null;
}

interface PhaseSlot {
  index: number;
  phase: Phase;
  acc: SpanAccumulator;
  endMs: number | null;
  /** A finished phase never changes again: its report is computed once, then its histograms are frozen. */
  report?: PhaseReport;
}

export interface WiredSpan {
  startMs: number;
  endMs: number;
  span: SpanWire;
}

export interface RecordedSpans {
  overall: WiredSpan;
  phases: (WiredSpan & { index: number; phase: Phase })[];
}

// Most events are few (phase and topology changes); errors can burst, so the timeline keeps a bounded number.
const MAX_EVENTS = 20_000;
const MAX_LOSSES = 1_000;

/**
 * Collects every outcome into the current interval; at each interval end or phase change the interval is
 * closed and merged into its phase and the run total, so an interval never straddles two phases and each
 * sample is recorded once.
 */
export class Recorder extends SpanRecorder {
  private current: SpanAccumulator;
  private readonly total: SpanAccumulator;
  private readonly slots: PhaseSlot[] = [];
  private lastDue = 0;
  private lastRowsDue = 0;
  private lastRowsTaken = 0;
  /** When the load stopped (stop asked for); the drain and the verification sweep after it are not load. */
  private loadEndMs: number | null = null;
  private dueAtLoadEnd = 0;
  private writesAtLoadEnd: WritesOffered | null = null;
  private readonly series = new IntervalSeries();
  readonly events: TimelineEvent[] = [];
  readonly losses: LossRecord[] = [];
  droppedEvents = 0;
  lossesTotal = { missing: 0, corrupt: 0 };
  private readonly outputs: Output[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly probes: RecorderProbes,
    initialPhase: Phase,
  ) {
    super();
    const now = clock.now();
    this.current = new SpanAccumulator(now);
    this.total = new SpanAccumulator(now);
    this.slots.push({ index: 0, phase: initialPhase, acc: new SpanAccumulator(now), endMs: null });
  }

  /** The report intervals for charts: every one until a long run makes the series merge neighbours (intervalSeries.ts). */
  get intervals(): readonly IntervalReport[] {
    return this.series.all;
  }

  addOutput(o: Output): void {
    this.outputs.push(o);
  }

  get phase(): Phase {
    return this.slots[this.slots.length - 1]!.phase;
  }

  protected span(): SpanAccumulator {
    return this.current;
  }

  /** Adds what another thread recorded in the interval now closing (see load/threadPool.ts). */
  absorb(span: SpanAccumulator): void {
    this.current.merge(span);
  }

  /** Keeps a loss a worker thread found (it counted the loss in its own span). */
  noteLoss(kind: 'missing' | 'corrupt', id: string, detectedBy: 'read' | 'sweep', detail?: string): void {
    this.lossesTotal[kind]++;
    const loss: LossRecord = { id, kind, phase: phaseLabel(this.phase), detectedBy, at: this.clock.now() };
    if (this.losses.length < MAX_LOSSES) this.losses.push(loss);
    this.event({ type: `row-${kind}`, id, detectedBy, ...(detail ? { column: detail } : {}) });
  }

  /**
   * Every event reaches timeline.ndjson and the HTML report through here, so this is where their text is made safe:
   * each string field (and each string in a list) goes through sanitizeText(), which also masks known secrets.
   */
  event(e: EventInput): void {
    const safe = Object.fromEntries(Object.entries(e).map(([k, v]) => [k, safeDetail(v)]));
    const full: TimelineEvent = { ...safe, type: sanitizeText(e.type, 80), at: e.at ?? this.clock.now(), phase: phaseKey(this.phase) };
    if (this.events.length < MAX_EVENTS) this.events.push(full);
    else this.droppedEvents++;
    for (const o of this.outputs) o.event?.(full);
  }

  /** Closes the current interval (called every report interval). */
  tick(): IntervalReport {
    return this.closeInterval();
  }

  /**
   * Marks the end of the load: no new request is sent after this. What the drain still settles is counted, but
   * rates, the read target and phase durations are over the time of load only, never over the drain or the
   * verification sweep (which took minutes on a large run and made the headline rates look a quarter lower).
   */
  endLoad(): void {
    if (this.loadEndMs !== null) return;
    this.loadEndMs = this.clock.now();
    this.dueAtLoadEnd = this.probes.readsDue();
    this.writesAtLoadEnd = this.probes.writeSchedule?.() ?? null;
  }

  /** Now, or the end of the load once it ended: where open spans stop counting time. */
  private get loadNow(): number {
    const now = this.clock.now();
    return this.loadEndMs === null ? now : Math.min(now, this.loadEndMs);
  }

  setPhase(p: Phase): void {
    this.closeInterval();
    const at = this.loadNow;
    const last = this.slots[this.slots.length - 1]!;
    last.endMs = at;
    this.emitPhaseEnd(last);
    last.acc.freeze();
    this.slots.push({ index: last.index + 1, phase: p, acc: new SpanAccumulator(at), endMs: null });
    this.event({ type: 'phase', label: phaseLabel(p), detail: p });
  }

  private emitPhaseEnd(slot: PhaseSlot): void {
    const report = this.phaseReport(slot);
    for (const o of this.outputs) o.phaseEnded?.(report);
  }

  private closeInterval(): IntervalReport {
    const now = this.clock.now();
    const c = this.current;
    // After the load ended nothing more falls due and the schedules ask for nothing, whatever the probes say; an
    // interval that spans the end counts its targets only up to it (no interval is closed at the end itself, so
    // threads need not draw a boundary there).
    const due = this.loadEndMs === null ? this.probes.readsDue() : Math.max(this.lastDue, this.dueAtLoadEnd);
    c.readsScheduled = due - this.lastDue;
    this.lastDue = due;
    const spanMs = Math.max(0, now - c.startMs);
    const loadSpanMs = Math.max(0, this.loadNow - c.startMs);
    c.targetRateTimesMs = this.probes.readTarget() * loadSpanMs;
    const writes = this.loadEndMs === null ? this.probes.writeSchedule?.() : this.writesAtLoadEnd;
    if (writes) {
      c.rowsDue = writes.rowsDue - this.lastRowsDue;
      c.rowsSent = writes.rowsTaken - this.lastRowsTaken;
      c.behindRows = Math.max(0, writes.rowsDue - writes.rowsTaken);
      c.writeTargetTimesMs = writes.targetPerSec * loadSpanMs;
      c.writeScheduledMs = writes.targetPerSec > 0 ? loadSpanMs : 0;
      this.lastRowsDue = writes.rowsDue;
      this.lastRowsTaken = writes.rowsTaken;
    }
    c.loader = this.probes.loader();
    c.loaderWeightMs = spanMs;
    const slot = this.slots[this.slots.length - 1]!;
    slot.acc.merge(c);
    this.total.merge(c);
    const { inflight, limit } = this.probes.inflight();
    const iv: IntervalReport = { ...c.stats(now), phase: slot.phase, inflight, inflightLimit: limit };
    this.series.push(iv);
    this.current = new SpanAccumulator(now);
    for (const o of this.outputs) o.interval?.(iv, c);
    return iv;
  }

  private phaseReport(slot: PhaseSlot): PhaseReport {
    if (slot.report) return slot.report;
    const endMs = slot.endMs ?? this.loadNow;
    const report: PhaseReport = {
      ...slot.acc.stats(endMs),
      index: slot.index,
      phase: slot.phase,
      key: phaseKey(slot.phase),
      label: phaseLabel(slot.phase),
    };
    if (slot.endMs !== null) slot.report = report;
    return report;
  }

  /** Closes the last interval and phase; call once at the end of the run. */
  finish(): void {
    this.closeInterval();
    const last = this.slots[this.slots.length - 1]!;
    if (last.endMs === null) {
      last.endMs = this.loadNow;
      this.emitPhaseEnd(last);
    }
  }

  phaseReports(): PhaseReport[] {
    return this.slots.map((s) => this.phaseReport(s));
  }

  /** Phases of the same key merged (e.g. every "resize 3→6" of the run), in order of first appearance. */
  byPhaseKey(): (SpanStats & { key: string; occurrences: number })[] {
    const groups = new Map<string, { acc: SpanAccumulator; durationMs: number; occurrences: number; endMs: number }>();
    for (const s of this.slots) {
      const key = phaseKey(s.phase);
      const end = s.endMs ?? this.loadNow;
      const g = groups.get(key) ?? { acc: new SpanAccumulator(s.acc.startMs), durationMs: 0, occurrences: 0, endMs: end };
      g.acc.merge(s.acc);
      g.durationMs += end - s.acc.startMs;
      g.occurrences++;
      g.endMs = end;
      groups.set(key, g);
    }
    // Rates of a merged group are over the time spent in that phase kind, not the wall span it covers.
    return [...groups.entries()].map(([key, g]) => ({
      ...g.acc.stats(g.acc.startMs + g.durationMs),
      key,
      occurrences: g.occurrences,
    }));
  }

  /** Every phase's and the run's counts with their histograms encoded losslessly, for merging elsewhere; `now` as overall() saw it. */
  spanWires(now = this.clock.now()): RecordedSpans {
    return {
      overall: { startMs: this.total.startMs, endMs: now, span: this.total.toWire() },
      phases: this.slots.map((s) => ({ index: s.index, phase: s.phase, startMs: s.acc.startMs, endMs: s.endMs ?? now, span: s.acc.toWire() })),
    };
  }

  /** The whole run's figures; its duration and rates are over the time of load (see endLoad). */
  overall(): SpanStats {
    return this.total.stats(this.loadNow);
  }
}

/** Longest text kept in one field of a timeline event; above the scaler's own cap, so its cut text is not cut again. */
const EVENT_TEXT_MAX = 4000;

function safeDetail(v: unknown): unknown {
  if (typeof v === 'string') return sanitizeText(v, EVENT_TEXT_MAX);
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? sanitizeText(x, EVENT_TEXT_MAX) : x));
  return v;
}
