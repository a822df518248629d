// Characters that do not show when a value is printed or pasted but make it a different value: a zero-width
// space inside SCY_LOCAL_DC names a data center that does not exist, and nothing on screen says why.

// Controls, no-break and other odd spaces, zero-width and direction marks, line/paragraph separators, BOM.
const INVISIBLE = /[\u0000-\u001f\u007f-\u00a0\u00ad\u180e\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\ufeff]/u;

const NAMES: Record<string, string> = {
  '\u00a0': 'NO-BREAK SPACE',
  '\u00ad': 'SOFT HYPHEN',
  '\u200b': 'ZERO WIDTH SPACE',
  '\u200c': 'ZERO WIDTH NON-JOINER',
  '\u200d': 'ZERO WIDTH JOINER',
  '\u200e': 'LEFT-TO-RIGHT MARK',
  '\u200f': 'RIGHT-TO-LEFT MARK',
  '\u2060': 'WORD JOINER',
  '\u202f': 'NARROW NO-BREAK SPACE',
  '\ufeff': 'BYTE ORDER MARK',
  '\t': 'TAB',
  '\n': 'LINE FEED',
  '\r': 'CARRIAGE RETURN',
};

/** The first invisible character of `text` and its index in characters (code points), if any. */
export function findInvisible(text: string): { char: string; index: number } | null {
  const chars = [...text];
  const index = chars.findIndex((ch) => INVISIBLE.test(ch));
  return index < 0 ? null : { char: chars[index]!, index };
}

/** "U+200B ZERO WIDTH SPACE": the code point (and its name when it is a common one), never the text around it. */
export function describeInvisible(ch: string): string {
  const code = `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  const name = NAMES[ch];
  return name ? `${code} ${name}` : code;
}
