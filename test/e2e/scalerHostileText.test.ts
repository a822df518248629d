import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Secret } from '../../src/config/secret.js';
import { seededRandom } from '../../src/load/rowContent.js';
import { TOKEN, finish, rig } from '../helpers/scalerRig.js';

// Property: whatever text the Cloud API sends (ANSI escapes, CR/LF forging a log line, NUL, C1, bidi overrides,
// megabyte strings, the token or a password echoed back), nothing the scaler logs or emits carries a control
// character or a secret, and no log line grows without bound. Seeded, so a failure names a reproducible case.

const PASSWORD = 'hostile-password-5e21';
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

function hostile(rand: () => number): string {
  const n = 1 + Math.floor(rand() * 6);
  let s = '';
  for (let i = 0; i < n; i++) s += PIECES[Math.floor(rand() * PIECES.length)];
  // Now and then a megabyte, with a secret at its far end where a cap would cut it in half.
  if (rand() < 0.25) s += 'M'.repeat(1_000_000) + TOKEN;
  return s;
}

// What may never reach the user: C0 (besides the log's own line breaks), DEL, C1, bidi controls, line separators.
const UNSAFE_IN_LOG = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;
const UNSAFE_IN_EVENT = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;

function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(strings);
  if (v && typeof v === 'object') return Object.values(v).flatMap(strings);
  return [];
}

for (const seed of [1, 2, 3, 4]) {
  test(`hostile API text never reaches logs or events raw (seed ${seed})`, { timeout: 30_000 }, async () => {
    const rand = seededRandom(seed);
    const r = await rig({
      before: (s) => {
        const text = (): string => hostile(rand);
        s.faults.push({ match: { method: 'GET', pathRegex: /\/cluster\/request\/\d+/ }, times: 3, kind: 'rewrite', edit: (d) => ({ ...(d as object), progressDescription: text(), status: text() }) });
        s.faults.push({
          match: { method: 'GET', pathRegex: /\/cluster\/42\?/ },
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
      },
    });
    const out = await finish(r);
    assert.equal(out.stopped, 'cycles-done', out.reason);

    const shown = [...r.lines, ...strings(r.events), ...strings(r.phases), ...strings(out)];
    for (const secret of [TOKEN, PASSWORD]) assert.ok(!shown.some((x) => x.includes(secret)), `a secret reached the user (seed ${seed})`);
    for (const line of r.lines) {
      assert.ok(!UNSAFE_IN_LOG.test(line), `control character in a log line: ${JSON.stringify(line.slice(0, 200))}`);
      assert.ok(line.length < 20_000, `log line of ${line.length} characters`);
      // Every physical line is one the tool wrote: a timestamped line or a row of the cluster map.
      for (const physical of line.split('\n')) {
        assert.match(physical, /^(\d\d:\d\d:\d\d |  node )/, JSON.stringify(physical.slice(0, 200)));
        assert.doesNotMatch(physical, /^\d\d:\d\d:\d\d \[scaler\] FORGED/);
      }
    }
    for (const s of [...strings(r.events), ...strings(r.phases), ...strings(out)]) {
      assert.ok(!UNSAFE_IN_EVENT.test(s), `control character in an event: ${JSON.stringify(s.slice(0, 200))}`);
      assert.ok(s.length < 5_000, `event text of ${s.length} characters`);
    }
  });
}
