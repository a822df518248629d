import type cassandra from 'cassandra-driver';
import type { Clock } from '../clock.js';
import type { Config } from '../config/load.js';
import { consistencyCode } from '../db/connect.js';
import { insertCql, selectCql, type SchemaTarget } from '../db/schema.js';
import type { Logger } from '../log.js';
import type { LoadRecorder } from '../metrics/spanRecorder.js';
import type { VerificationReport } from '../metrics/types.js';
import type { IdLedger } from './idLedger.js';
import type { InflightLimiter } from './limiter.js';
import type { Schedule } from './pacer.js';
import { Readers, readerSettings } from './readers.js';
import type { RunIdentity } from './rowContent.js';
import type { RowPicker } from './rowPicker.js';
import { verifyAcknowledged } from './verifier.js';
import { Writers, writerSettings } from './writers.js';

/** The settings one loader's writers, readers and sweep need; plain data, so they can be sent to a worker thread. */
export type LoaderConfig = Pick<
  Config,
  'writeWorkers' | 'readWorkers' | 'readRps' | 'batchMin' | 'batchMax' | 'batchBiasHigh' | 'batchesPerCycle' | 'consistency'
>;

export interface LoaderParts {
  client: cassandra.Client;
  config: LoaderConfig;
  target: SchemaTarget;
  /** The identity this loader writes its rows under (rowContent.ts loaderIdentity). */
  identity: RunIdentity;
  ledger: IdLedger;
  rows: RowPicker;
  limiter: InflightLimiter;
  readSchedule: Schedule;
  /** Open-loop writes: the one schedule rows are offered on (SCY_WRITE_ROWS_PER_SEC); closed loop without it. */
  writeSchedule: Schedule | null;
  recorder: LoadRecorder;
  clock: Clock;
  log: Logger;
}

export interface DrainResult {
  /** Batches still out when the drain ended: neither acknowledged nor failed. */
  writes: number;
  reads: number;
}

/**
 * The writers, readers and verification sweep of one CQL client: the whole load of a single-threaded run, or of
 * one worker thread.
 */
export class Loader {
  private readonly writers: Writers;
  private readonly readers: Readers | null;

  constructor(private readonly p: LoaderParts) {
    const consistency = consistencyCode(p.config.consistency);
    const common = { client: p.client, consistency, recorder: p.recorder, clock: p.clock };
    this.writers = new Writers({
      ...common,
      insertCql: insertCql(p.target),
      ...writerSettings(p.config),
      run: p.identity,
      ledger: p.ledger,
      limiter: p.limiter,
      ...(p.writeSchedule ? { schedule: p.writeSchedule } : {}),
      log: p.log.child('write'),
    });
    this.readers =
      p.config.readWorkers > 0 && p.config.readRps > 0
        ? new Readers({
            ...common,
            selectCql: selectCql(p.target),
            ...readerSettings(p.config),
            rows: p.rows,
            pacer: p.readSchedule,
            log: p.log.child('read'),
          })
        : null;
  }

  get readsStarted(): boolean {
    return this.readers?.started ?? false;
  }

  get acknowledgedRows(): number {
    return this.p.ledger.acknowledgedRows;
  }

  start(): void {
    this.writers.start();
    this.readers?.start();
  }

  stop(): void {
    this.writers.stop();
    this.readers?.stop();
  }

  async drain(timeoutMs: number): Promise<DrainResult> {
    const [writes, reads] = await Promise.all([this.writers.drain(timeoutMs), this.readers?.drain(timeoutMs) ?? Promise.resolve(0)]);
    return { writes, reads };
  }

  /** Reads back up to `limit` of this loader's acknowledged rows; null when it has none to check. */
  async verify(limit: number): Promise<VerificationReport | null> {
    const { p } = this;
    if (limit <= 0 || p.ledger.acknowledgedRows === 0) return null;
    return verifyAcknowledged({
      client: p.client,
      selectCql: selectCql(p.target),
      consistency: consistencyCode(p.config.consistency),
      run: p.identity,
      ledger: p.ledger,
      recorder: p.recorder,
      clock: p.clock,
      log: p.log.child('verify'),
      limit,
      concurrency: 64,
      // The re-check asks every replica (ALL), which is the authoritative answer; no need to wait long.
      recheckMs: 250,
    });
  }
}
