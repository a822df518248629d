import type { Config } from '../config/load.js';
import type { SchemaTarget } from '../db/schema.js';
import type { InstantClientOptions } from '../local/instantClient.js';
import type { LogLevel } from '../log.js';
import type { SpanWire } from '../metrics/span.js';
import type { EventInput } from '../metrics/spanRecorder.js';
import type { VerificationReport } from '../metrics/types.js';
import type { LoaderConfig } from './loader.js';
import type { RunIdentity } from './rowContent.js';
import type { SharedLimiterHandle } from './sharedLimiter.js';
import type { SharedScheduleHandle } from './sharedPacer.js';

// What the main thread and a load worker say to each other. Everything is structured-clone data; the shared
// buffers travel by reference. Per-request figures never cross: each thread records into its own span and the
// main thread collects the spans once per report interval.

/** The CQL connection settings a worker needs to build its own client; the password travels revealed. */
export type ConnectionWire = Pick<
  Config,
  'contactPoints' | 'port' | 'localDc' | 'username' | 'consistency' | 'requestTimeoutSecs' | 'tls' | 'tlsCaFile'
> & { password: string | null };

export interface WorkerSetup {
  thread: number;
  threads: number;
  connection: ConnectionWire;
  loader: LoaderConfig;
  target: SchemaTarget;
  idPoolSize: number;
  run: RunIdentity;
  /** Bench and test seam: an in-process stand-in instead of a CQL client (local/instantClient.ts). */
  standIn?: InstantClientOptions;
  shared: {
    limiter: SharedLimiterHandle;
    readSchedule: SharedScheduleHandle;
    /** Open-loop writes only. */
    writeSchedule: SharedScheduleHandle | null;
    ledgers: SharedArrayBuffer;
    interval: SharedArrayBuffer;
  };
}

export type Request =
  | { type: 'start' }
  | { type: 'collect'; upTo: number }
  | { type: 'stop' }
  | { type: 'drain'; timeoutMs: number }
  | { type: 'verify'; limit: number }
  /** Answered at once by a live event loop: how a call with no time bound of its own (the sweep) watches the thread. */
  | { type: 'ping' }
  | { type: 'close' };

export interface ThreadHealth {
  busyPercent: number;
  loopP99Ms: number;
}

export interface CollectReply {
  span: SpanWire | null;
  health: ThreadHealth;
  acknowledgedRows: number;
  readsStarted: boolean;
}

/** Replies by request type. */
export interface Replies {
  start: null;
  collect: CollectReply;
  stop: null;
  drain: { writes: number; reads: number };
  verify: VerificationReport | null;
  ping: null;
  close: null;
}

export type ToWorker = Request & { id: number };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'setup-failed'; error: string }
  | { type: 'reply'; id: number; value: unknown }
  | { type: 'log'; level: LogLevel; tag: string; msg: string }
  | { type: 'loss'; kind: 'missing' | 'corrupt'; id: string; detectedBy: 'read' | 'sweep'; detail?: string }
  | { type: 'event'; event: EventInput };
