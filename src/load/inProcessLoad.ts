import type cassandra from 'cassandra-driver';
import type { Clock } from '../clock.js';
import type { SchemaTarget } from '../db/schema.js';
import type { Logger } from '../log.js';
import { LoaderProbe } from '../metrics/loaderProbe.js';
import type { LoaderSample } from '../metrics/span.js';
import type { LoadRecorder } from '../metrics/spanRecorder.js';
import type { VerificationReport } from '../metrics/types.js';
import { ScheduleGauges, writeRate, type LoadEngine, type LoaderFailure } from './engine.js';
import { IdLedger } from './idLedger.js';
import { AimdLimiter } from './limiter.js';
import { Loader, type DrainResult, type LoaderConfig } from './loader.js';
import { Pacer } from './pacer.js';
import { loaderIdentity, type RunIdentity } from './rowContent.js';
import { ledgerPicker } from './rowPicker.js';

export interface InProcessLoadOptions {
  client: cassandra.Client;
  config: LoaderConfig & { batchInflight: number; idPoolSize: number; writeRowsPerSec?: number | undefined };
  target: SchemaTarget;
  run: RunIdentity;
  recorder: LoadRecorder;
  clock: Clock;
  log: Logger;
}

/** The whole load on the main thread, recording straight into the run's recorder: SCY_LOADER_THREADS=1. */
export class InProcessLoad extends ScheduleGauges implements LoadEngine {
  readonly threads = 1;
  readonly failures: readonly LoaderFailure[] = [];
  private readonly ledger: IdLedger;
  private readonly loaderRun: Loader;
  private readonly probe = new LoaderProbe();

  constructor(o: InProcessLoadOptions) {
    const limiter = new AimdLimiter(o.config.batchInflight);
    const readSchedule = new Pacer(o.clock, Math.max(o.config.readRps, 1e-9));
    const rate = writeRate(o.config);
    const writeSchedule = rate === null ? null : new Pacer(o.clock, rate);
    super(limiter, readSchedule, writeSchedule && { schedule: writeSchedule, ratePerSec: rate! });
    this.ledger = new IdLedger(o.config.idPoolSize);
    const identity = loaderIdentity(o.run, 0);
    this.loaderRun = new Loader({
      client: o.client,
      config: o.config,
      target: o.target,
      identity,
      ledger: this.ledger,
      rows: ledgerPicker(this.ledger, identity),
      limiter,
      readSchedule,
      writeSchedule,
      recorder: o.recorder,
      clock: o.clock,
      log: o.log,
    });
  }

  async start(): Promise<void> {
    this.loaderRun.start();
  }

  closeInterval(): Promise<null> {
    return Promise.resolve(null);
  }

  get readsStarted(): boolean {
    return this.loaderRun.readsStarted;
  }

  loader(): LoaderSample {
    return this.probe.sample();
  }

  get acknowledgedRows(): number {
    return this.ledger.acknowledgedRows;
  }

  stop(): void {
    this.loaderRun.stop();
  }

  drain(timeoutMs: number): Promise<DrainResult> {
    return this.loaderRun.drain(timeoutMs);
  }

  verify(limit: number): Promise<VerificationReport | null> {
    return this.loaderRun.verify(limit);
  }

  async close(): Promise<void> {
    this.probe.stop();
  }
}
