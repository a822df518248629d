import type cassandra from 'cassandra-driver';
import type { Clock } from '../clock.js';
import { COLUMNS } from '../db/schema.js';
import { parseId, rowValues } from '../load/rowContent.js';

// An in-process stand-in for a CQL client, for measuring and testing the loader alone: no server, no socket.
// A read returns the row its id says the tool wrote (row content is a function of the id), so the tool's own
// checks run in full. It can live in a worker thread: its options are plain data.
export interface InstantClientOptions {
  /** Keep the ids written; a read of an id never written finds nothing (default: every id reads back). */
  keepRows?: boolean;
  /** Each request waits this long on the clock before it is answered (default: answered at once). */
  latencyMs?: number;
  /** Batches wait this long instead (reads stay at latencyMs): a read load with only a trickle of writes. */
  batchLatencyMs?: number;
  /**
   * Answer in the event loop's next turn, as a socket reply would, instead of in a microtask. A load that the
   * client answers in microtasks never yields to timers once it falls behind an open-loop schedule.
   */
  nextTurn?: boolean;
  /** After this many batches the client throws outside any request, as a bug in a thread would (fault tests). */
  crashAfterBatches?: number;
  /** After this many batches the client blocks its thread for good, as a synchronous endless loop would (fault tests). */
  hangAfterBatches?: number;
  /** At this point read (counted from 1) the client blocks its thread for good (fault tests: a sweep that hangs). */
  hangAtRead?: number;
}

const colIndex = new Map<string, number>(COLUMNS.map((c, i) => [c, i]));

/** From the next turn on, the thread is stuck in a synchronous wait that nothing ends, as an endless loop would be. */
const blockThread = (): void => void setImmediate(() => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0));

export interface InstantClient extends cassandra.Client {
  /** Ids written, when `keepRows` is set (hex of the id bytes). */
  readonly written: Set<string>;
}

export function instantClient(opts: InstantClientOptions = {}, clock?: Clock): InstantClient {
  const written = new Set<string>();
  let batches = 0;
  let reads = 0;
  const later = <T>(value: () => T, ms = opts.latencyMs): Promise<T> =>
    ms && clock
      ? clock.sleep(ms).then(value)
      : opts.nextTurn
        ? new Promise<void>((resolve) => setImmediate(resolve)).then(value)
        : Promise.resolve().then(value);
  const rowOf = (id: Buffer): cassandra.types.Row | null => {
    if (opts.keepRows && !written.has(id.toString('hex'))) return null;
    const parsed = parseId(id);
    if (!parsed) return null;
    const values = rowValues(parsed.run, parsed.seq);
    return { get: (name: string) => values[colIndex.get(name)!] } as unknown as cassandra.types.Row;
  };
  const host = { address: '127.0.0.1', datacenter: 'datacenter1', isUp: () => true };
  const client = {
    written,
    hosts: { values: () => [host] },
    connect: () => Promise.resolve(),
    on: () => client,
    shutdown: () => Promise.resolve(),
    batch: (queries: { params: unknown[] }[]) => {
      ++batches;
      if (batches === opts.hangAfterBatches) blockThread();
      if (batches === opts.crashAfterBatches) {
        const after = batches;
        setImmediate(() => {
          throw new Error(`stand-in client crashed after ${after} batches`);
        });
      }
      return later(() => {
        if (opts.keepRows) for (const q of queries) written.add((q.params[0] as cassandra.types.Uuid).getBuffer().toString('hex'));
        return undefined;
      }, opts.batchLatencyMs ?? opts.latencyMs);
    },
    execute: (query: string, params: unknown[] = []) => {
      const id = params[0] as cassandra.types.Uuid | undefined;
      const pointRead = /WHERE id = \?/.test(query) && id !== undefined;
      if (pointRead && ++reads === opts.hangAtRead) blockThread();
      // Schema look-ups find nothing and schema statements succeed; a point read answers from the id.
      return later(() => {
        const row = pointRead ? rowOf(id.getBuffer()) : null;
        return { rowLength: row ? 1 : 0, first: () => row };
      });
    },
  };
  return client as unknown as InstantClient;
}
