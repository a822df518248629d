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
  let out = text;
  for (const s of knownSecrets) out = out.split(s).join('***');
  return out;
}
