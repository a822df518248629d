import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Secret } from '../../src/config/secret.js';
import { OUTSIDE_TEXT_MAX, sanitizeText } from '../../src/text/sanitize.js';
import { RETRY_AFTER_CAP_MS, parseRetryAfter } from '../../src/scaler/cloudApi.js';

test('sanitizeText removes whole ANSI sequences, not just ESC', () => {
  assert.equal(sanitizeText('\x1b[31mred\x1b[0m plain'), 'red plain');
  assert.equal(sanitizeText('a\x1b]0;title\x07b'), 'ab');
  assert.equal(sanitizeText('a\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\b'), 'alinkb');
  assert.equal(sanitizeText('a\x9b2Jb'), 'ab');
});

test('sanitizeText turns line breaks into a space and drops other C0/C1 controls and DEL', () => {
  assert.equal(sanitizeText('line1\r\nFORGED 00:00:00 [scaler] ok'), 'line1 FORGED 00:00:00 [scaler] ok');
  assert.equal(sanitizeText('a\u2028b\u2029c\u0085d'), 'a b c d');
  assert.equal(sanitizeText('a\x00b\x07c\x7fd\x80e\x9ff'), 'abcdef');
});

test('sanitizeText drops bidi overrides, isolates and marks; keeps other Unicode', () => {
  assert.equal(sanitizeText('abc\u202edcba\u202c \u2066x\u2069 \u200fy'), 'abcdcba x y');
  assert.equal(sanitizeText('Zürich ☃ 東京 😀'), 'Zürich ☃ 東京 😀');
});

test('sanitizeText masks known secrets, also ones split by control characters, before capping', () => {
  const token = 'sanitize-secret-91af0c';
  new Secret(token);
  assert.equal(sanitizeText(`token=${token}`), 'token=***');
  // Escapes and NULs dropped from inside the token would otherwise re-join it after the secret check.
  assert.equal(sanitizeText('token=sanitize-\x1b[0msecret-\x0091af0c'), 'token=***');
  // A secret straddling the cap is masked first, so no prefix of it survives the cut.
  const out = sanitizeText(`${'x'.repeat(OUTSIDE_TEXT_MAX - 5)}${token}`);
  assert.ok(!out.includes(token.slice(0, 5)), out);
});

test('sanitizeText caps length with a marker saying how much was cut, never splitting a surrogate pair', () => {
  const out = sanitizeText('y'.repeat(1_000_000));
  assert.equal(out, `${'y'.repeat(OUTSIDE_TEXT_MAX)}… [${1_000_000 - OUTSIDE_TEXT_MAX} more characters cut]`);
  assert.equal(sanitizeText('abcdef', 6), 'abcdef');
  const emoji = sanitizeText(`ab${'😀'.repeat(5)}`, 3);
  assert.equal(emoji, `ab… [${2 + 10 - 2} more characters cut]`);
});

test('parseRetryAfter: seconds or an HTTP date, capped, null when absent or unreadable', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(parseRetryAfter('3', now), 3000);
  assert.equal(parseRetryAfter(['2', '9'], now), 2000);
  assert.equal(parseRetryAfter('100000', now), RETRY_AFTER_CAP_MS);
  assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now), 10_000);
  assert.equal(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now), 0);
  assert.equal(parseRetryAfter(undefined, now), null);
  assert.equal(parseRetryAfter('soon', now), null);
});
