import type cassandra from 'cassandra-driver';
import pLimit from 'p-limit';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { LoadRecorder } from '../metrics/spanRecorder.js';
import type { VerificationReport } from '../metrics/types.js';
import type { IdLedger } from './idLedger.js';
import { diffRow, makeId, type RunIdentity } from './rowContent.js';
import { readRow, RECHECK_CONSISTENCY } from './rowRead.js';

export interface SweepOptions {
  client: cassandra.Client;
  selectCql: string;
  consistency: number;
  run: RunIdentity;
  ledger: IdLedger;
  recorder: LoadRecorder;
  clock: Clock;
  log: Logger;
  /** Most rows to read back; fewer acknowledged rows are all read. */
  limit: number;
  concurrency: number;
  /** Delay before the one re-read of a row found missing. */
  recheckMs: number;
  signal?: AbortSignal;
}

/** After the drain, reads acknowledged rows back and counts those missing or not as written. */
export async function verifyAcknowledged(o: SweepOptions): Promise<VerificationReport> {
  const began = o.clock.monotonic();
  const target = Math.min(o.limit, o.ledger.acknowledgedRows);
  const sampled = target < o.ledger.acknowledgedRows;
  const limit = pLimit(o.concurrency);
  let checked = 0;
  let missing = 0;
  let corrupt = 0;
  let errors = 0;
  let lastLog = began;
  o.log.info(
    `verifying ${target.toLocaleString('en-US')} of ${o.ledger.acknowledgedRows.toLocaleString('en-US')} acknowledged rows` +
      (sampled ? ' (an even sample across the run)' : ''),
  );
  const checkOne = async (seq: number): Promise<void> => {
    const id = makeId(o.run, seq).toString();
    try {
      let row = await readRow(o, seq, o.consistency);
      if (!row) {
        // Not found where this consistency looked: ask every replica before calling it lost.
        await o.clock.sleep(o.recheckMs);
        row = await readRow(o, seq, RECHECK_CONSISTENCY);
      }
      if (!row) {
        missing++;
        o.recorder.recordLoss('missing', id, 'sweep');
      } else {
        const bad = diffRow(o.run, seq, row);
        if (bad) {
          corrupt++;
          o.recorder.recordLoss('corrupt', id, 'sweep', bad);
        }
      }
    } catch {
      errors++;
    }
    checked++;
    const now = o.clock.monotonic();
    if (now - lastLog > 5000) {
      lastLog = now;
      o.log.info(`verified ${checked.toLocaleString('en-US')}/${target.toLocaleString('en-US')} (missing ${missing}, corrupt ${corrupt}, errors ${errors})`);
    }
  };

  const batch: Promise<void>[] = [];
  for (const seq of o.ledger.sweep(target)) {
    if (o.signal?.aborted) break;
    batch.push(limit(() => checkOne(seq)));
    // Keep the queue short so a sweep of millions does not hold millions of promises.
    if (batch.length >= o.concurrency * 4) await Promise.all(batch.splice(0));
  }
  await Promise.all(batch);
  const report: VerificationReport = {
    checked,
    acknowledged: o.ledger.acknowledgedRows,
    sampled,
    missing,
    corrupt,
    errors,
    durationMs: o.clock.monotonic() - began,
  };
  o.log.info(`verification: ${checked.toLocaleString('en-US')} rows read back, ${missing} missing, ${corrupt} corrupt, ${errors} unreadable`);
  return report;
}
