import { redact } from '../config/secret.js';

// Text that comes from outside the tool (the Cloud API's descriptions, messages, names, statuses) reaches a terminal,
// timeline.ndjson, summary.json and report.html. A server could forge a log line with CR/LF, repaint the terminal with
// ANSI escapes, reverse what a reader sees with bidi overrides, echo the token back, or send a megabyte. This is the
// one place that makes such text safe to show: escapes and control characters go, secrets are masked, length is capped.

/** The default cap for one piece of outside text (a description, an error message). */
export const OUTSIDE_TEXT_MAX = 300;

// Whole escape sequences first, so no "[31m" is left behind once ESC itself is dropped: CSI (ESC [ … final byte),
// OSC (ESC ] … BEL or ST), and any other two-character ESC sequence.
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?|\x9b[0-?]*[ -/]*[@-~]/g;
// Line breaks and tabs become one space so words stay apart; other C0/C1 controls and DEL are dropped.
const BREAKS = /[\t\n\v\f\r\u0085\u2028\u2029]+/g;
const CONTROLS = /[\x00-\x1f\x7f-\x9f]/g;
// Bidi embeddings, overrides and isolates, and the marks that steer them (ALM, LRM, RLM).
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Outside text made safe to show: ANSI escapes, control characters (C0, C1, DEL, CR/LF as a space) and bidi controls
 * removed, known secrets masked (redact()), then capped at `max` characters with a marker saying how many were cut.
 * Masking comes before the cap so a cut can never leave part of a secret behind.
 */
export function sanitizeText(text: string, max = OUTSIDE_TEXT_MAX): string {
  const clean = redact(text.replace(ANSI, '').replace(BREAKS, ' ').replace(CONTROLS, '').replace(BIDI, ''));
  if (clean.length <= max) return clean;
  // Never split a surrogate pair: a lone half would render as garbage.
  const cut = /[\ud800-\udbff]/.test(clean.charAt(max - 1)) ? max - 1 : max;
  return `${clean.slice(0, cut)}… [${clean.length - cut} more characters cut]`;
}

