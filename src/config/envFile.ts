// Reads a .env file so that it means what it means to the shell: README says `set -a; source .env; set +a`, so
// every value this reader returns is the value bash gives the same line. Where a line would read differently in
// bash and in the usual .env readers (an unquoted '#' inside a value, '$' or '\' that bash expands, CRLF line
// ends bash keeps as part of the value, a file in UTF-16), the file is refused with one line saying where and
// what to write instead, rather than silently using one of the two readings. Values are never echoed.

import { readFileSync } from 'node:fs';
import { describeInvisible, findInvisible } from './invisible.js';

/** A .env file this reader refuses; the message is one line, names the file and line, never a value. */
export class EnvFileError extends Error {}

// Unquoted, bash would expand or interpret these (variables, commands, escapes, redirections, quoting).
const SHELL_ACTIVE = /[$`\\;&|<>()'"]/;

export function readEnvFile(path: string, shownAs: string): Record<string, string> {
  return parseEnvText(decode(readFileSync(path), shownAs), shownAs);
}

function decode(bytes: Buffer, shownAs: string): string {
  const fail = (why: string): never => {
    throw new EnvFileError(`${shownAs}: ${why}`);
  };
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff) || bytes.includes(0)) {
    fail('the file is UTF-16 (or holds NUL bytes); the shell cannot read it either: save it as UTF-8');
  }
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    fail('the file starts with a byte-order mark, which the shell reads as part of the first name: save it as UTF-8 without BOM');
  }
  let text = '';
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    fail('the file is not UTF-8 text: save it as UTF-8');
  }
  if (text.includes('\r')) {
    fail('the file has Windows (CRLF) line ends; the shell keeps the CR as part of every value: save it with LF line ends');
  }
  return text;
}

/** Parses .env text (already decoded) with bash's meaning; throws EnvFileError where the readings would differ. */
export function parseEnvText(text: string, shownAs: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (const [i, line] of lines.entries()) {
    const where = `${shownAs} line ${i + 1}`;
    const body = line.replace(/^[ \t]+/, '');
    if (body === '' || body.startsWith('#')) continue;
    const m = /^(?:export[ \t]+)?([^= \t]+)=(.*)$/s.exec(body);
    if (!m) {
      const spaced = /^(?:export[ \t]+)?[A-Za-z_][A-Za-z0-9_]*[ \t]+=/.test(body);
      throw new EnvFileError(
        spaced ? `${where}: spaces around '=': the shell runs this as a command; write NAME=value` : `${where}: not a NAME=value line; the shell would run it as a command`,
      );
    }
    const name = m[1]!;
    checkName(name, where);
    out[name] = parseValue(m[2]!, `${where} (${name})`);
  }
  return out;
}

function checkName(name: string, where: string): void {
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return;
  const hidden = findInvisible(name);
  const visible = [...name].filter((_, i) => i !== hidden?.index).join('');
  if (hidden && /^[A-Za-z_][A-Za-z0-9_]*$/.test(visible)) {
    throw new EnvFileError(`${where}: the name ${visible} holds an invisible character (${describeInvisible(hidden.char)}); retype the name`);
  }
  throw new EnvFileError(`${where}: not a valid variable name (letters, digits and _ only, not starting with a digit)`);
}

function parseValue(raw: string, where: string): string {
  const fail = (why: string): never => {
    throw new EnvFileError(`${where}: ${why}`);
  };
  let value: string;
  let rest: string;
  if (raw.startsWith("'")) {
    const end = raw.indexOf("'", 1);
    if (end < 0) fail('a single quote that does not close on the same line (values span one line)');
    value = raw.slice(1, end);
    rest = raw.slice(end + 1);
  } else if (raw.startsWith('"')) {
    const end = raw.indexOf('"', 1);
    if (end < 0) fail('a double quote that does not close on the same line (values span one line)');
    value = raw.slice(1, end);
    rest = raw.slice(end + 1);
    // Inside double quotes bash expands $ and ` and takes \ as an escape; .env readers do neither or other things.
    if (/[$`\\]/.test(value)) fail("'$', '`' or '\\' inside double quotes, which the shell expands: put the value in single quotes");
  } else {
    const word = /^[^ \t]*/.exec(raw)![0];
    value = word;
    rest = raw.slice(word.length);
    if (word.includes('#')) {
      fail("an unquoted '#' inside the value: the shell keeps it, other .env readers cut the value there; put the value in single quotes");
    }
    if (SHELL_ACTIVE.test(word)) fail("a character the shell interprets ($ ` \\ ; & | < > ( ) or a quote inside the value): put the value in single quotes");
    if (word.startsWith('~')) fail("a leading '~', which the shell turns into your home folder: write the full path");
  }
  // After the value only blanks and a comment; anything else is joined to the value or run as a command by bash.
  if (!/^([ \t]+(#.*)?)?$/.test(rest)) fail('text after the value (a space inside an unquoted value, or text after a closing quote): put the whole value in single quotes');
  return value;
}
