import type { IdLedger } from './idLedger.js';
import type { RunIdentity } from './rowContent.js';
import type { RowPicker, RowRef } from './rowPicker.js';

// With worker threads every thread keeps its own ledger, but readers must pick from every thread's acknowledged
// rows. Each thread publishes, after every settled batch, the two numbers another thread needs to pick one of its
// rows without asking: its watermark (every sequence number below is settled) and the end of its last failed
// range (every settled number at or above it was acknowledged). Between the two lie only acknowledged rows.
// Stores and loads are Atomics (sequentially consistent): the bound is stored before the watermark and loaded
// after it, so a reader that sees a watermark also sees every failure below it.

const SLOTS = 2;
const WATERMARK = 0;
const CLEAN_FROM = 1;

export class LedgerBoard {
  private readonly cells: BigInt64Array;

  static create(threads: number): SharedArrayBuffer {
    return new SharedArrayBuffer(threads * SLOTS * BigInt64Array.BYTES_PER_ELEMENT);
  }

  constructor(buffer: SharedArrayBuffer) {
    this.cells = new BigInt64Array(buffer);
  }

  get threads(): number {
    return this.cells.length / SLOTS;
  }

  publish(thread: number, ledger: IdLedger): void {
    Atomics.store(this.cells, thread * SLOTS + CLEAN_FROM, BigInt(ledger.cleanFrom));
    Atomics.store(this.cells, thread * SLOTS + WATERMARK, BigInt(ledger.watermark()));
  }

  /** The acknowledged sequence numbers [from, to) of `thread` among its last `recent` settled ones. */
  window(thread: number, recent: number): [from: number, to: number] {
    const to = Number(Atomics.load(this.cells, thread * SLOTS + WATERMARK));
    const clean = Number(Atomics.load(this.cells, thread * SLOTS + CLEAN_FROM));
    return [Math.max(clean, to - recent), to];
  }
}

/**
 * Picks a thread at random, then one of its recently acknowledged rows; its own rows come from its ledger, which
 * also knows the acknowledged rows between failed ranges. A thread with nothing to offer yet falls back to its own.
 */
export function boardPicker(board: LedgerBoard, self: number, own: IdLedger, identities: readonly RunIdentity[]): RowPicker {
  const fromOwn = (random: () => number): RowRef | null => {
    const seq = own.pickRecent(random);
    return seq === null ? null : { run: identities[self]!, seq };
  };
  return {
    pick: (random) => {
      const thread = Math.floor(random() * board.threads);
      if (thread === self) return fromOwn(random);
      const [from, to] = board.window(thread, own.recentWindow);
      if (to <= from) return fromOwn(random);
      return { run: identities[thread]!, seq: from + Math.floor(random() * (to - from)) };
    },
  };
}
