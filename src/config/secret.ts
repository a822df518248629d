// Secrets are wrapped so that printing, string templating or JSON-encoding them shows a mask, and every
// known secret value is scrubbed from any text the tool prints (error messages from libraries included).
const knownSecrets = new Set<string>();
let pattern: RegExp | undefined;

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
    if (value.length > 0 && !knownSecrets.has(value)) {
      knownSecrets.add(value);
      pattern = undefined;
    }
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
  if (knownSecrets.size === 0) return text;
  pattern ??= secretPattern();
  return text.replace(pattern, '***');
}

// One pass with the longest secrets first: replacing secrets one after another let a short secret that occurs
// inside a longer one (a password "7" inside a token) cut the longer one up, so parts of it were printed.
function secretPattern(): RegExp {
  const escaped = [...knownSecrets].sort((a, b) => b.length - a.length).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(escaped.join('|'), 'g');
}
