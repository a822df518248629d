// Secrets are wrapped so that printing, string templating or JSON-encoding them shows a mask, and every
// known secret value is scrubbed from any text the tool prints (error messages from libraries included).
const knownSecrets = new Set<string>();

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
    if (value.length > 0) knownSecrets.add(value);
  }

  reveal(): string {
    return this.#value;
  }

  get isSet(): boolean {
    return this.#value.length > 0;
  }

  toString(): string {
    return '***';
  }

  toJSON(): string {
    return '***';
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return 'Secret(***)';
  }
}

/** Replaces every known secret value in `text` with ***. */
export function redact(text: string): string {
  // Every character that belongs to an occurrence of any secret is masked, found on the original text: masking one
  // secret after another let a short secret inside a longer one (a password "7" inside a token) cut the longer one
  // up before it was looked for, so the rest of it was printed. Overlapping occurrences merge into one mask.
  const covered: [number, number][] = [];
  for (const s of knownSecrets) {
    for (let at = text.indexOf(s); at >= 0; at = text.indexOf(s, at + 1)) covered.push([at, at + s.length]);
  }
  if (covered.length === 0) return text;
  covered.sort((a, b) => a[0] - b[0]);
  let out = '';
  let end = -1;
  for (const [from, to] of covered) {
    if (from > end) out += text.slice(Math.max(end, 0), from) + '***';
    end = Math.max(end, to);
  }
  return out + text.slice(end);
}

/**
 * Masks what a URL may carry as credentials before it is shown: everything between the scheme and the last "@"
 * (a password may itself hold "@", "/" or "?"), and any query or fragment (tokens are passed as `?token=`).
 */
export function maskUrl(text: string): string {
  const m = /^(\s*[a-z][a-z0-9+.-]*:\/\/)(.*)$/is.exec(text);
  if (!m) return text;
  let rest = m[2]!;
  const at = rest.lastIndexOf('@');
  if (at >= 0) rest = '***@' + rest.slice(at + 1);
  return m[1] + rest.replace(/([?#]).*$/s, '$1***');
}
