// Parsers turn one raw string into a typed value or throw a ParseError whose text says what is allowed.
// The settings table pairs each setting with one of these, so env, .env and flags share one validation.
export class ParseError extends Error {}

export type Parser<T> = (raw: string) => T;

export const integer =
  (min: number, max = Number.MAX_SAFE_INTEGER): Parser<number> =>
  (raw) => {
    const s = raw.trim();
    if (!/^[+-]?\d+$/.test(s)) throw new ParseError(`a whole number from ${min} to ${max}`);
    const n = Number(s);
    if (n < min || n > max) throw new ParseError(`a whole number from ${min} to ${max}`);
    return n;
  };

export const decimal =
  (min: number, max = Number.MAX_VALUE): Parser<number> =>
  (raw) => {
    const s = raw.trim();
    const n = Number(s);
    if (s === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new ParseError(max === Number.MAX_VALUE ? `a number ≥ ${min}` : `a number from ${min} to ${max}`);
    }
    return n;
  };

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off', '']);
export const bool: Parser<boolean> = (raw) => {
  const s = raw.trim().toLowerCase();
  if (TRUE.has(s)) return true;
  if (FALSE.has(s)) return false;
  throw new ParseError('1 or 0 (also true/false, yes/no, on/off)');
};

export const oneOf =
  <T extends string>(values: readonly T[]): Parser<T> =>
  (raw) => {
    const s = raw.trim().toUpperCase();
    const hit = values.find((v) => v.toUpperCase() === s);
    if (!hit) throw new ParseError(`one of ${values.join(', ')}`);
    return hit;
  };

export const text: Parser<string> = (raw) => raw.trim();

export const nonEmptyText: Parser<string> = (raw) => {
  const s = raw.trim();
  if (!s) throw new ParseError('a non-empty value');
  return s;
};

/** CQL identifiers are created unquoted, so they must be plain lower-case-safe names. */
export const cqlIdentifier: Parser<string> = (raw) => {
  const s = raw.trim();
  if (!/^[A-Za-z][A-Za-z0-9_]{0,47}$/.test(s)) {
    throw new ParseError('a name of letters, digits and _ starting with a letter (at most 48 characters)');
  }
  return s;
};

export const hostList: Parser<string[]> = (raw) => {
  const hosts = raw
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h.length > 0);
  if (hosts.length === 0) throw new ParseError('a comma-separated list of host names or IP addresses');
  for (const h of hosts) {
    if (!/^[A-Za-z0-9._:\-[\]]+$/.test(h)) throw new ParseError('a comma-separated list of host names or IP addresses');
  }
  return hosts;
};

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

const API_URL = 'an https:// URL without user, password, query or fragment (http:// only for localhost/127.x.x.x)';

/**
 * https only, except plain http to a loopback host (the local Cloud API used by tests and the demo). API paths
 * are appended to it, so a query or fragment would end up in the middle of every request URL; and credentials
 * in it would be written into the reports, so both are refused.
 */
export const apiUrl: Parser<string> = (raw) => {
  const s = raw.trim();
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    throw new ParseError(API_URL);
  }
  const okScheme = url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
  // An empty "?" or "#" parses to an empty search/hash, so the raw text is checked too.
  if (!okScheme || url.username || url.password || /[?#]/.test(s)) throw new ParseError(API_URL);
  return url.toString().replace(/\/+$/, '');
};

/**
 * A bearer token goes into an HTTP header, which carries only visible ASCII: a pasted line break, NUL or a
 * non-ASCII character would make every request fail (or be refused by the HTTP client) for the whole run.
 * The message names what was found, never the token.
 */
export const httpToken: Parser<string> = (raw) => {
  const s = raw.trim();
  const bad = [...s].findIndex((ch) => !/^[\x21-\x7e]$/.test(ch));
  if (bad >= 0) {
    const ch = [...s][bad]!;
    const what = /[\r\n]/.test(ch) ? 'a line break' : /\s/.test(ch) ? 'a space' : ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f ? 'a control character' : 'a non-ASCII character';
    throw new ParseError(`a token of visible ASCII characters only (found ${what} at character ${bad + 1})`);
  }
  return s;
};

/** Durations such as 90, 90s, 15m, 2h, 1h30m; returned in seconds. */
export const duration: Parser<number> = (raw) => {
  const s = raw.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(s);
  if (!m || s === '') throw new ParseError('a duration such as 600, 90s, 15m, 2h or 1h30m');
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
};
