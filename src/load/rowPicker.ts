import type { IdLedger } from './idLedger.js';
import type { RunIdentity } from './rowContent.js';

/** One acknowledged row: the identity it was written under and its sequence number there. */
export interface RowRef {
  run: RunIdentity;
  seq: number;
}

/** Where readers find acknowledged rows to read. */
export interface RowPicker {
  /** A recently acknowledged row, or null while there is none. */
  pick(random: () => number): RowRef | null;
}

/** The rows one ledger acknowledged, written under one identity: the single-threaded case. */
export function ledgerPicker(ledger: IdLedger, run: RunIdentity): RowPicker {
  return {
    pick: (random) => {
      const seq = ledger.pickRecent(random);
      return seq === null ? null : { run, seq };
    },
  };
}
