import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { parseEnvText } from '../../src/config/envFile.js';

// README tells users to `set -a; source .env; set +a`; the tool reads the same file itself. These tests hold the
// tool's reading against bash's own, on the same bytes.

function fileWith(content: string | Buffer): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'scy-envfile-'));
  const path = join(dir, 'settings.env');
  writeFileSync(path, content);
  return { dir, path };
}

/** What bash gives each name after `set -a; source FILE`, in a clean environment. */
function bashValues(path: string, names: string[]): Record<string, string> {
  const script = 'set -a; source "$1"; set +a; shift; for n in "$@"; do printf "%s\\0%s\\0" "$n" "${!n-<unset>}"; done';
  const out = execFileSync('/usr/bin/env', ['-i', 'bash', '--noprofile', '--norc', '-c', script, 'bash', path, ...names], { encoding: 'utf8' });
  const parts = out.split('\0');
  const values: Record<string, string> = {};
  for (let i = 0; i + 1 < parts.length; i += 2) values[parts[i]!] = parts[i + 1]!;
  return values;
}

/** The tool's reading of the file, or the one-line error it refuses it with. */
function toolError(content: string | Buffer): string {
  const { dir } = fileWith(content);
  try {
    loadConfig({ env: { SCY_CONTACT_POINTS: '10.0.0.1' }, flags: {}, envFile: 'settings.env', cwd: dir });
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    assert.ok(!/[\r\n]/.test(e.message), `one line: ${JSON.stringify(e.message)}`);
    return e.message;
  }
  assert.fail('the file was accepted');
}

describe('.env files read as bash reads them', () => {
  test('every form the tool accepts gives exactly the values bash gives', () => {
    const content = [
      '# a comment',
      '',
      'SCY_A=plain',
      'export SCY_B=with-export',
      "SCY_C='single # quoted $HOME \\ and \"double\" quotes'",
      'SCY_D="double # quoted, spaces kept  "',
      'SCY_E=value   # trailing comment',
      'SCY_F=',
      "SCY_G=''",
      'SCY_H=a=b:c/d@e%f+g,h.i*j?k[l]m{n}o!p^q-r',
      '   SCY_I=indented',
      "SCY_J='  spaces kept  '",
      'SCY_K=first',
      'SCY_K=last wins\t# comment after a tab'.replace('last wins', 'last'),
      'SCY_L=dc1 #not part of the value',
      'SCY_M=héllo-ünïcode',
      'OTHER_VAR=also-read',
      '',
    ].join('\n');
    const names = ['SCY_A', 'SCY_B', 'SCY_C', 'SCY_D', 'SCY_E', 'SCY_F', 'SCY_G', 'SCY_H', 'SCY_I', 'SCY_J', 'SCY_K', 'SCY_L', 'SCY_M', 'OTHER_VAR'];
    const { path } = fileWith(content);
    const tool = parseEnvText(content, 'settings.env');
    const bash = bashValues(path, names);
    for (const n of names) assert.equal(tool[n], bash[n], `${n}: tool ${JSON.stringify(tool[n])}, bash ${JSON.stringify(bash[n])}`);
    assert.deepEqual(Object.keys(tool).sort(), [...names].sort());
  });

  test('a quoted "#" is kept by the tool, as by bash', () => {
    const { dir } = fileWith("SCY_PASSWORD='abc#def'\nSCY_LOCAL_DC=\"dc#1\"\n");
    const cfg = loadConfig({ env: { SCY_CONTACT_POINTS: '10.0.0.1' }, flags: {}, envFile: 'settings.env', cwd: dir });
    assert.equal(cfg.password?.reveal(), 'abc#def');
    assert.equal(cfg.localDc, 'dc#1');
  });

  // Each of these reads differently in bash and in common .env readers (or is run as a command by bash).
  const refused: { name: string; content: string | Buffer; says: RegExp; hidden?: string[] }[] = [
    { name: "an unquoted '#' inside a value", content: 'SCY_PORT=9042\nSCY_PASSWORD=Qabc#Zdef\n', says: /settings\.env line 2 \(SCY_PASSWORD\): an unquoted '#'.*single quotes/, hidden: ['Qabc', 'Zdef'] },
    { name: "'$' in double quotes", content: 'SCY_PASSWORD="Qab$Zcd"\n', says: /line 1 \(SCY_PASSWORD\).*single quotes/, hidden: ['Qab', 'Zcd'] },
    { name: "'$' unquoted", content: 'SCY_KEYSPACE=ks$HOME\n', says: /line 1 \(SCY_KEYSPACE\): a character the shell interprets/ },
    { name: 'a backslash unquoted', content: 'SCY_TABLE=a\\b\n', says: /\(SCY_TABLE\): a character the shell interprets/ },
    { name: 'a backtick', content: 'SCY_TABLE=`id`\n', says: /\(SCY_TABLE\): a character the shell interprets/ },
    { name: "a leading '~'", content: 'SCY_TLS_CA_FILE=~/ca.pem\n', says: /\(SCY_TLS_CA_FILE\): a leading '~'/ },
    { name: "spaces around '='", content: 'SCY_PORT = 9042\n', says: /line 1: spaces around '='/ },
    { name: 'a line that is a command', content: 'SCY_PORT=9042\nrm -rf /tmp/x\n', says: /line 2: not a NAME=value line/ },
    { name: 'an unclosed quote', content: "SCY_PASSWORD='Qabc\nZdef'\n", says: /line 1 \(SCY_PASSWORD\): a single quote that does not close/, hidden: ['Qabc', 'Zdef'] },
    { name: 'a space inside an unquoted value', content: 'SCY_LOCAL_DC=my dc\n', says: /\(SCY_LOCAL_DC\): text after the value/ },
    { name: 'text after a closing quote', content: "SCY_LOCAL_DC='a'b\n", says: /\(SCY_LOCAL_DC\): text after the value/ },
    { name: 'a zero-width space in a name', content: 'SCY_LOCAL_DC\u200b=dc1\n', says: /line 1: the name SCY_LOCAL_DC holds an invisible character \(U\+200B ZERO WIDTH SPACE\)/ },
    { name: 'a no-break space in a name', content: 'SCY\u00a0PORT=1\n', says: /line 1: the name SCYPORT holds an invisible character \(U\+00A0 NO-BREAK SPACE\)/ },
    { name: 'a name starting with a digit', content: '1SCY=1\n', says: /line 1: not a valid variable name/ },
    { name: 'UTF-16 with BOM', content: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('SCY_PORT=9042\n', 'utf16le')]), says: /settings\.env: the file is UTF-16.*save it as UTF-8/ },
    { name: 'UTF-16 without BOM', content: Buffer.from('SCY_PORT=9042\n', 'utf16le'), says: /the file is UTF-16/ },
    { name: 'UTF-16 big-endian with BOM', content: Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from('SCY_PORT=9042\n', 'utf16le').swap16()]), says: /the file is UTF-16/ },
    { name: 'a UTF-8 byte-order mark', content: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('SCY_PORT=9042\n')]), says: /byte-order mark.*without BOM/ },
    { name: 'Latin-1 text', content: Buffer.from('SCY_LOCAL_DC=caf\xe9\n', 'latin1'), says: /not UTF-8 text/ },
    { name: 'CRLF line ends', content: 'SCY_PORT=9042\r\nSCY_PASSWORD=QpwZ\r\n', says: /CRLF.*LF line ends/, hidden: ['QpwZ'] },
  ];
  for (const c of refused) {
    test(`refused with one line naming where: ${c.name}`, () => {
      const msg = toolError(c.content);
      assert.match(msg, c.says);
      for (const h of c.hidden ?? []) assert.ok(!msg.includes(h), `value shown: ${msg}`);
    });
  }

  test('bash indeed reads the refused "#" case differently from a .env reader that cuts at "#"', () => {
    const { path } = fileWith('SCY_PASSWORD=abc#def\n');
    assert.equal(bashValues(path, ['SCY_PASSWORD']).SCY_PASSWORD, 'abc#def');
  });
});

describe('invisible characters in any setting', () => {
  for (const [name, ch] of [['zero-width space', '\u200b'], ['byte-order mark', '\ufeff'], ['no-break space', '\u00a0'], ['word joiner', '\u2060']] as const) {
    test(`a ${name} inside SCY_LOCAL_DC is refused from the environment, a flag and the file`, () => {
      const value = `datacenter${ch}1`;
      const dir = mkdtempSync(join(tmpdir(), 'scy-envfile-'));
      writeFileSync(join(dir, 'f.env'), `SCY_LOCAL_DC='${value}'\n`);
      for (const src of [
        { env: { SCY_CONTACT_POINTS: '10.0.0.1', SCY_LOCAL_DC: value }, flags: {}, envFile: null },
        { env: { SCY_CONTACT_POINTS: '10.0.0.1' }, flags: { localDc: value }, envFile: null },
        { env: { SCY_CONTACT_POINTS: '10.0.0.1' }, flags: {}, envFile: 'f.env' },
      ]) {
        assert.throws(
          () => loadConfig({ ...src, cwd: dir }),
          (e: unknown) => e instanceof ConfigError && /^SCY_LOCAL_DC \(--local-dc, from [a-z-]+\): holds an invisible character \(U\+[0-9A-F]{4}.*\) at character 11; retype the value$/.test(e.message),
        );
      }
    });
  }

  test('the message for a secret names the character and position, never the value', () => {
    const pw = `Qpass\u200bZword`;
    assert.throws(
      () => loadConfig({ env: { SCY_CONTACT_POINTS: '10.0.0.1', SCY_PASSWORD: pw }, flags: {}, envFile: null, cwd: tmpdir() }),
      (e: unknown) => e instanceof ConfigError && /SCY_PASSWORD.*U\+200B.*character 6/.test(e.message) && !/Qpass|Zword/.test(e.message),
    );
  });

  test('whitespace at the ends, which every parser trims, is not refused', () => {
    const cfg = loadConfig({ env: { SCY_CONTACT_POINTS: '10.0.0.1', SCY_LOCAL_DC: '\u00a0dc1\n' }, flags: {}, envFile: null, cwd: tmpdir() });
    assert.equal(cfg.localDc, 'dc1');
  });
});
