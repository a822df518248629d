// The scaler's phase at a moment: every measurement is tagged with the phase that was current when the
// operation started, so results can be read per phase (steady at MIN, growing, steady at MAX, shrinking).
export type Phase =
  | { kind: 'load-only' }
  | { kind: 'waiting'; cycle: number; nodes: number | null; reason: string }
  | { kind: 'steady'; cycle: number; nodes: number }
  | { kind: 'resizing'; cycle: number; from: number; to: number; requestId: string | null }
  /** The scaler stopped on an error that cannot clear; the load goes on, but no longer at a known cluster state. */
  | { kind: 'scaler-stopped'; cycle: number; nodes: number | null; reason: string };

/** A stable key that groups the same kind of phase across cycles, e.g. "steady@3", "resize 3→6". */
export function phaseKey(p: Phase): string {
  switch (p.kind) {
    case 'load-only':
      return 'load-only';
    case 'waiting':
      return 'waiting';
    case 'steady':
      return `steady@${p.nodes}`;
    case 'resizing':
      return `resize ${p.from}→${p.to}`;
    case 'scaler-stopped':
      return 'scaler stopped';
  }
}

/** A label for people, with the cycle: "cycle 1 · resize 3→6 (req 42)". */
export function phaseLabel(p: Phase): string {
  if (p.kind === 'load-only') return 'load only (no scaler)';
  const req = p.kind === 'resizing' && p.requestId ? ` (request ${p.requestId})` : '';
  const what = p.kind === 'waiting' ? `waiting: ${p.reason}` : p.kind === 'scaler-stopped' ? `scaler stopped: ${p.reason}` : phaseKey(p);
  return `cycle ${p.cycle} · ${what}${req}`;
}
