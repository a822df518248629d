// Hostile Cloud API text for property tests: ANSI escapes, CR/LF forging a log line, NUL, C1, bidi overrides,
// megabyte strings, the token or a password echoed back. Seeded, so a failure names a reproducible case.
import { Secret } from '../../src/config/secret.js';
import type { CloudServer } from '../../src/local/cloudServer.js';
import { TOKEN } from './scalerRig.js';

export const PASSWORD = 'hostile-password-5e21';
new Secret(PASSWORD);

const PIECES = [
  '\x1b[31m',
  '\x1b[2J\x1b[H',
  '\x1b]0;pwned\x07',
  '\r\n00:00:00 [scaler] FORGED resize complete',
  '\n',
  '\r',
  '\x00',
  '\x07',
  '\x85',
  '\x9b1m',
  '\u202e',
  '\u2066',
  '\u200f',
  '\u2028',
  TOKEN,
  PASSWORD,
  'plain words',
  'Zürich 東京 😀',
];

export function hostile(rand: () => number): string {
  const n = 1 + Math.floor(rand() * 6);
  let s = '';
  for (let i = 0; i < n; i++) s += PIECES[Math.floor(rand() * PIECES.length)];
  // Now and then a megabyte, with a secret at its far end where a cap would cut it in half.
  if (rand() < 0.25) s += 'M'.repeat(1_000_000) + TOKEN;
  return s;
}

// What may never reach the user: C0 (besides the log's own line breaks), DEL, C1, bidi controls, line separators.
export const UNSAFE_IN_LOG = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;
export const UNSAFE_IN_EVENT = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;

/** Every string inside a value, however deep. */
export function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(strings);
  if (v && typeof v === 'object') return Object.values(v).flatMap(strings);
  return [];
}

/** Faults that put hostile text in every field of the local Cloud API a run shows: progress, names, addresses, errors. */
export function hostileFaults(s: CloudServer, text: () => string, clusterId: number): void {
  s.faults.push({ match: { method: 'GET', pathRegex: /\/cluster\/request\/\d+/ }, times: 3, kind: 'rewrite', edit: (d) => ({ ...(d as object), progressDescription: text(), status: text() }) });
  s.faults.push({
    match: { method: 'GET', pathRegex: new RegExp(`/cluster/${clusterId}\\?`) },
    times: 2,
    kind: 'rewrite',
    edit: (d) => {
      const c = (d as { cluster: Record<string, unknown> }).cluster;
      const dc = { ...(c.dc as object), Name: text() };
      return { cluster: { ...c, clusterName: text(), dc, dataCenters: [dc], progress: { ProgressPercent: 5, ProgressDescription: text() } } };
    },
  });
  s.faults.push({
    match: { method: 'GET', pathRegex: /\/nodes/ },
    times: 2,
    kind: 'rewrite',
    edit: (d) => ({ nodes: (d as { nodes: Record<string, unknown>[] }).nodes.map((n) => ({ ...n, privateIp: text() })) }),
  });
  s.faults.push({ match: { method: 'GET', pathRegex: /\/nodes/ }, times: 1, kind: 'envelope-error', code: `0999${text()}`, message: text() });
  s.faults.push({ match: { method: 'GET', pathRegex: /\/request$/ }, times: 1, kind: 'raw', status: 502, body: text() });
  s.faults.push({ match: { method: 'POST' }, times: 1, kind: 'http', status: 503, message: text() });
}
