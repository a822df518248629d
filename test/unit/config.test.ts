import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { inspect } from 'node:util';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig, type Config, type ConfigSources } from '../../src/config/load.js';
import { SETTINGS, type SettingKey } from '../../src/config/settings.js';
import {
  apiUrl,
  bool,
  cqlIdentifier,
  decimal,
  duration,
  hostList,
  integer,
  isLoopbackHost,
  nonEmptyText,
  oneOf,
  ParseError,
  text,
} from '../../src/config/parse.js';
import { maskUrl, redact, Secret } from '../../src/config/secret.js';
import { reportedSettings } from '../../src/config/reportedSettings.js';
import { renderEnvExample, renderSettingsMarkdown } from '../../src/config/help.js';

const KEYS = Object.keys(SETTINGS) as SettingKey[];
const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

/** A fresh, empty working directory so no stray .env is read. */
function emptyDir(): string {
  return mkdtempSync(join(tmpdir(), 'scy-config-'));
}

const BASE_ENV = { SCY_CONTACT_POINTS: '10.0.0.1' };
// Long enough that redact() registering it cannot scrub ordinary text in later assertions.
const CLOUD_TOKEN = 'tok_0123456789abcdefghijklmnopqrstuv';

function load(over: Partial<ConfigSources> = {}): Config {
  return loadConfig({ env: { ...BASE_ENV }, flags: {}, envFile: null, cwd: emptyDir(), ...over });
}

/** Runs `fn`, expects a ConfigError, checks the one-line rule and returns the message. */
function configError(fn: () => unknown): string {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${String(caught)}`);
  const msg = caught.message;
  assert.ok(msg.length > 0);
  assert.ok(!/[\r\n]/.test(msg), `message must be one line: ${JSON.stringify(msg)}`);
  return msg;
}

function randomSecret(): string {
  return 'S3cr3t' + Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
}

// Raw values a user could type, each with the typed value it must produce. For each setting the loop below
// picks the first candidate its parser accepts with exactly that result and that differs from the default.
const CANDIDATES: { raw: string; value: unknown }[] = [
  { raw: '7', value: 7 },
  { raw: '1200', value: 1200 },
  { raw: '2', value: 2 },
  { raw: '0.5', value: 0.5 },
  { raw: 'on', value: true },
  { raw: 'off', value: false },
  { raw: 'one', value: 'ONE' },
  { raw: '90s', value: 90 },
  { raw: 'https://cloud.example.com/api/', value: 'https://cloud.example.com/api' },
  { raw: 'my_name1', value: 'my_name1' },
  { raw: ' h1.example.com, 10.1.2.3 ', value: ['h1.example.com', '10.1.2.3'] },
  { raw: 'some text', value: 'some text' },
  { raw: '1/2', value: { index: 1, count: 2 } },
];

function tryParse(key: SettingKey, raw: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: (SETTINGS[key].parse as (r: string) => unknown)(raw) };
  } catch (e) {
    if (e instanceof ParseError) return { ok: false };
    throw e;
  }
}

function defaultValue(key: SettingKey): unknown {
  const s = SETTINGS[key];
  return 'default' in s && s.default !== undefined ? tryParse(key, s.default) : undefined;
}

function candidateFor(key: SettingKey): { raw: string; value: unknown } {
  const def = defaultValue(key) as { ok: boolean; value?: unknown } | undefined;
  for (const c of CANDIDATES) {
    const p = tryParse(key, c.raw);
    if (!p.ok) continue;
    try {
      assert.deepEqual(p.value, c.value);
    } catch {
      continue;
    }
    if (def?.ok) {
      try {
        assert.deepEqual(def.value, c.value);
        continue; // same as default: would not prove the value was read
      } catch {
        /* differs: usable */
      }
    }
    return c;
  }
  throw new Error(`no candidate raw value for ${key}`);
}

/** Extra settings a value needs so that cross-checks accept it (env form). */
function contextFor(key: SettingKey, dir: string): Record<string, string> {
  switch (key) {
    case 'batchMax':
    case 'batchMin':
      return { SCY_BATCH_MIN: '1', SCY_BATCH_MAX: '10000' };
    case 'tlsCaFile':
      return { SCY_TLS: '1' };
    case 'cloudToken':
      return { SCY_ACCOUNT_ID: '11', SCY_CLUSTER_ID: '22' };
    case 'accountId':
      return { SCY_CLOUD_TOKEN: 'tok-for-account', SCY_CLUSTER_ID: '22' };
    case 'clusterId':
      return { SCY_CLOUD_TOKEN: 'tok-for-cluster', SCY_ACCOUNT_ID: '11' };
    case 'shard':
      return { SCY_RUN_ID: 'run-1' };
    default:
      void dir;
      return {};
  }
}

function typedValue(cfg: Config, key: SettingKey): unknown {
  if (key === 'password') return cfg.password?.reveal();
  if (key === 'cloudToken') return cfg.cloud?.token.reveal();
  return (cfg as unknown as Record<string, unknown>)[key];
}

describe('every setting of SETTINGS', () => {
  test('the table is well formed: unique SCY_ names and flags, defaults parse', () => {
    const envs = new Set<string>();
    const flags = new Set<string>();
    for (const key of KEYS) {
      const s = SETTINGS[key];
      assert.match(s.env, /^SCY_[A-Z0-9_]+$/);
      assert.ok(!envs.has(s.env), `duplicate ${s.env}`);
      assert.ok(!flags.has(s.flag), `duplicate --${s.flag}`);
      envs.add(s.env);
      flags.add(s.flag);
      const def = defaultValue(key) as { ok: boolean } | undefined;
      if (def) assert.ok(def.ok, `default of ${s.env} must parse`);
    }
    assert.ok(KEYS.length >= 23, 'the original read 23 settings; the tool has at least those');
  });

  for (const key of KEYS) {
    const s = SETTINGS[key];
    for (const via of ['env', 'flag', 'env-file'] as const) {
      test(`${s.env} parses from ${via} into config.${key}`, () => {
        const dir = emptyDir();
        const c = candidateFor(key);
        let raw = c.raw;
        if (key === 'tlsCaFile') {
          raw = join(dir, 'ca.pem');
          writeFileSync(raw, '-----BEGIN CERTIFICATE-----\n');
        }
        const expected = key === 'tlsCaFile' ? raw : c.value;
        const env: Record<string, string> = { ...contextFor(key, dir) };
        delete env[s.env]; // the value under test comes only from its own source
        if (key !== 'contactPoints') env.SCY_CONTACT_POINTS = '10.0.0.1';
        const flags: ConfigSources['flags'] = {};
        let envFile: string | null = null;
        if (via === 'env') env[s.env] = raw;
        else if (via === 'flag') flags[key] = raw;
        else {
          writeFileSync(join(dir, 'settings.env'), `${s.env}=${JSON.stringify(raw)}\n`);
          envFile = 'settings.env';
        }
        const cfg = loadConfig({ env, flags, envFile, cwd: dir });
        assert.deepEqual(typedValue(cfg, key), expected);
        assert.equal(cfg.sources[key], via);
      });
    }
  }

  test('secrets land as Secret objects, not strings', () => {
    const pw = randomSecret();
    const tok = randomSecret();
    const cfg = load({ env: { ...BASE_ENV, SCY_PASSWORD: pw, SCY_CLOUD_TOKEN: tok, SCY_ACCOUNT_ID: '1', SCY_CLUSTER_ID: '2' } });
    assert.ok(cfg.password instanceof Secret);
    assert.ok(cfg.cloud?.token instanceof Secret);
    assert.equal(cfg.password.reveal(), pw);
    assert.equal(cfg.cloud.token.reveal(), tok);
    assert.equal((cfg as unknown as Record<string, unknown>).cloudToken, undefined, 'no plain token on the config');
    assert.ok(!JSON.stringify(cfg).includes(pw));
    assert.ok(!JSON.stringify(cfg).includes(tok));
    assert.ok(!inspect(cfg, { depth: 10 }).includes(tok));
    assert.ok(!inspect(cfg, { depth: 10 }).includes(pw));
  });
});

describe('defaults', () => {
  test('equal the original Python tool and the documented new ones', () => {
    const cfg = load();
    const expected: Partial<Record<SettingKey, unknown>> = {
      port: 9042,
      localDc: 'AWS_US_EAST_1',
      username: 'scylla',
      keyspace: 'demo_ks',
      table: 'demo_table',
      cloudApiBase: 'https://api.cloud.scylladb.com',
      minNodes: 3,
      maxNodes: 6,
      pollSecs: 20,
      stableSecs: 300,
      writeWorkers: 8,
      readWorkers: 4,
      readRps: 1000,
      batchMin: 10,
      batchMax: 50,
      batchInflight: 96,
      batchesPerCycle: 256,
      batchBiasHigh: true,
      consistency: 'LOCAL_QUORUM',
      rf: 3,
      idPoolSize: 2_000_000,
      requestTimeoutSecs: 10,
      tls: false,
      dryRun: false,
      maxLostRows: 0,
    };
    for (const [k, v] of Object.entries(expected)) {
      assert.deepEqual((cfg as unknown as Record<string, unknown>)[k], v, `default of ${k}`);
      assert.equal(cfg.sources[k as SettingKey], 'default', `source of ${k}`);
    }
  });

  test('no password, no cloud and no default contact points (the original named one cluster)', () => {
    const cfg = load();
    assert.equal(cfg.password, undefined);
    assert.equal(cfg.cloud, null);
    assert.ok(!('default' in SETTINGS.contactPoints && SETTINGS.contactPoints.default !== undefined));
    assert.ok(!('default' in SETTINGS.password && SETTINGS.password.default !== undefined));
    assert.equal(cfg.durationSecs, undefined);
    assert.equal(cfg.cycles, undefined);
    assert.equal(cfg.writeRowsPerSec, undefined, 'writes are closed-loop unless a rate is set');
  });

  test('an empty optional variable counts as unset', () => {
    const cfg = load({ env: { ...BASE_ENV, SCY_PASSWORD: '', SCY_CLOUD_TOKEN: '', SCY_DURATION: '' } });
    assert.equal(cfg.password, undefined);
    assert.equal(cfg.cloud, null);
    assert.equal(cfg.durationSecs, undefined);
  });

  test('all three cloud settings make a cloud config with the default API base', () => {
    const cfg = load({ env: { ...BASE_ENV, SCY_CLOUD_TOKEN: CLOUD_TOKEN, SCY_ACCOUNT_ID: '12', SCY_CLUSTER_ID: '34', SCY_DC_ID: '5' } });
    assert.ok(cfg.cloud);
    assert.equal(cfg.cloud.apiBase, 'https://api.cloud.scylladb.com');
    assert.equal(cfg.cloud.accountId, 12);
    assert.equal(cfg.cloud.clusterId, 34);
    assert.equal(cfg.cloud.dcId, 5);
  });
});

describe('precedence', () => {
  test('flag > environment > .env in the working directory > default', () => {
    const dir = emptyDir();
    writeFileSync(
      join(dir, '.env'),
      'SCY_PORT=1111\nSCY_KEYSPACE=file_ks\nSCY_TABLE=file_table\nSCY_CONTACT_POINTS=file.host\n',
    );
    const cfg = loadConfig({
      env: { SCY_PORT: '2222', SCY_KEYSPACE: 'env_ks' },
      flags: { port: '3333' },
      cwd: dir,
    });
    assert.equal(cfg.port, 3333);
    assert.equal(cfg.sources.port, 'flag');
    assert.equal(cfg.keyspace, 'env_ks');
    assert.equal(cfg.sources.keyspace, 'env');
    assert.equal(cfg.table, 'file_table');
    assert.equal(cfg.sources.table, 'env-file');
    assert.deepEqual(cfg.contactPoints, ['file.host']);
    assert.equal(cfg.localDc, 'AWS_US_EAST_1');
    assert.equal(cfg.sources.localDc, 'default');
  });

  test('a valid flag overrides an invalid environment value, and an env value an invalid file value', () => {
    const dir = emptyDir();
    writeFileSync(join(dir, '.env'), 'SCY_READ_WORKERS=lots\n');
    const cfg = loadConfig({ env: { ...BASE_ENV, SCY_PORT: 'nope', SCY_READ_WORKERS: '3' }, flags: { port: '9000' }, cwd: dir });
    assert.equal(cfg.port, 9000);
    assert.equal(cfg.readWorkers, 3);
  });

  test('an explicit env file replaces ./.env, relative to cwd', () => {
    const dir = emptyDir();
    writeFileSync(join(dir, '.env'), 'SCY_KEYSPACE=dot_env_ks\nSCY_TABLE=dot_env_table\n');
    writeFileSync(join(dir, 'other.env'), 'SCY_KEYSPACE=other_ks\n');
    const cfg = loadConfig({ env: { ...BASE_ENV }, flags: {}, envFile: 'other.env', cwd: dir });
    assert.equal(cfg.keyspace, 'other_ks');
    assert.equal(cfg.table, 'demo_table', './.env is not read when --env-file is given');
    const abs = loadConfig({ env: { ...BASE_ENV }, flags: {}, envFile: join(dir, 'other.env'), cwd: emptyDir() });
    assert.equal(abs.keyspace, 'other_ks');
  });

  test('envFile null reads no file at all', () => {
    const dir = emptyDir();
    writeFileSync(join(dir, '.env'), 'SCY_KEYSPACE=dot_env_ks\nSCY_CONTACT_POINTS=file.host\n');
    const msg = configError(() => loadConfig({ env: {}, flags: {}, envFile: null, cwd: dir }));
    assert.match(msg, /SCY_CONTACT_POINTS/);
    const cfg = loadConfig({ env: { ...BASE_ENV }, flags: {}, envFile: null, cwd: dir });
    assert.equal(cfg.keyspace, 'demo_ks');
  });

  test('a missing --env-file is a ConfigError naming the file', () => {
    const msg = configError(() => loadConfig({ env: { ...BASE_ENV }, flags: {}, envFile: 'nowhere.env', cwd: emptyDir() }));
    assert.match(msg, /nowhere\.env/);
  });

  test('no .env in cwd is fine', () => {
    const cfg = loadConfig({ env: { ...BASE_ENV }, flags: {}, cwd: emptyDir() });
    assert.equal(cfg.port, 9042);
  });
});

describe('validation: one line naming the SCY_ variable and what is allowed', () => {
  const cases: { name: string; env?: Record<string, string>; flags?: ConfigSources['flags']; names: string[]; allowed: RegExp }[] = [
    { name: 'non-integer port', env: { SCY_PORT: 'abc' }, names: ['SCY_PORT'], allowed: /whole number from 1 to 65535/ },
    { name: 'fractional port', env: { SCY_PORT: '90.5' }, names: ['SCY_PORT'], allowed: /whole number/ },
    { name: 'port out of range', env: { SCY_PORT: '70000' }, names: ['SCY_PORT'], allowed: /from 1 to 65535/ },
    { name: 'port zero', env: { SCY_PORT: '0' }, names: ['SCY_PORT'], allowed: /from 1 to 65535/ },
    { name: 'negative workers', env: { SCY_WRITE_WORKERS: '-1' }, names: ['SCY_WRITE_WORKERS'], allowed: /from 0 to 1024/ },
    { name: 'zero in-flight cap', env: { SCY_BATCH_INFLIGHT: '0' }, names: ['SCY_BATCH_INFLIGHT'], allowed: /whole number from 1/ },
    { name: 'non-number decimal', env: { SCY_POLL_SECS: 'often' }, names: ['SCY_POLL_SECS'], allowed: /number from 0\.05 to 3600/ },
    { name: 'decimal below range', env: { SCY_POLL_SECS: '0' }, names: ['SCY_POLL_SECS'], allowed: /number from 0\.05/ },
    { name: 'infinite rate', env: { SCY_READ_RPS: 'Infinity' }, names: ['SCY_READ_RPS'], allowed: /number/ },
    { name: 'negative rate', env: { SCY_READ_RPS: '-5' }, names: ['SCY_READ_RPS'], allowed: /number from 0/ },
    { name: 'zero write rate', env: { SCY_WRITE_ROWS_PER_SEC: '0' }, names: ['SCY_WRITE_ROWS_PER_SEC'], allowed: /number from 0\.001/ },
    { name: 'non-number write rate as flag', flags: { writeRowsPerSec: 'fast' }, names: ['SCY_WRITE_ROWS_PER_SEC', '--write-rows-per-sec'], allowed: /number from 0\.001/ },
    { name: 'bad enum', env: { SCY_CONSISTENCY: 'SOMETIMES' }, names: ['SCY_CONSISTENCY'], allowed: /one of .*LOCAL_QUORUM/ },
    { name: 'bad bool', env: { SCY_TLS: 'maybe' }, names: ['SCY_TLS'], allowed: /1 or 0/ },
    { name: 'bad bool as flag', flags: { batchBiasHigh: 'sure' }, names: ['SCY_BATCH_BIAS_HIGH', '--batch-bias-high'], allowed: /1 or 0/ },
    { name: 'bad URL', env: { SCY_CLOUD_API_BASE: 'not a url' }, names: ['SCY_CLOUD_API_BASE'], allowed: /https:\/\// },
    { name: 'http to a remote host', env: { SCY_CLOUD_API_BASE: 'http://api.cloud.scylladb.com' }, names: ['SCY_CLOUD_API_BASE'], allowed: /https:\/\/.*localhost/ },
    { name: 'ftp URL', env: { SCY_CLOUD_API_BASE: 'ftp://127.0.0.1/' }, names: ['SCY_CLOUD_API_BASE'], allowed: /https:\/\// },
    { name: 'bad duration', env: { SCY_DURATION: 'a while' }, names: ['SCY_DURATION'], allowed: /duration such as/ },
    { name: 'bad contact points', env: { SCY_CONTACT_POINTS: 'host one,host two' }, names: ['SCY_CONTACT_POINTS'], allowed: /comma-separated list/ },
    { name: 'only commas as contact points', env: { SCY_CONTACT_POINTS: ' , ,' }, names: ['SCY_CONTACT_POINTS'], allowed: /comma-separated list/ },
    { name: 'keyspace starting with a digit', env: { SCY_KEYSPACE: '1ks' }, names: ['SCY_KEYSPACE'], allowed: /letters, digits and _/ },
    { name: 'table with a dash', env: { SCY_TABLE: 'my-table' }, names: ['SCY_TABLE'], allowed: /letters, digits and _/ },
    { name: 'keyspace with a quote (CQL injection)', env: { SCY_KEYSPACE: 'ks"; DROP' }, names: ['SCY_KEYSPACE'], allowed: /letters, digits and _/ },
    { name: 'table name too long', env: { SCY_TABLE: 'a'.repeat(49) }, names: ['SCY_TABLE'], allowed: /48 characters/ },
    { name: 'empty local DC', env: { SCY_LOCAL_DC: '  ' }, names: ['SCY_LOCAL_DC'], allowed: /non-empty/ },
    { name: 'BATCH_MIN > BATCH_MAX', env: { SCY_BATCH_MIN: '60' }, names: ['SCY_BATCH_MIN', 'SCY_BATCH_MAX'], allowed: /≤|<=|at most/ },
    { name: 'missing contact points', env: { SCY_CONTACT_POINTS: '' }, names: ['SCY_CONTACT_POINTS'], allowed: /comma-separated list/ },
    { name: 'account id not a number', env: { SCY_ACCOUNT_ID: 'acme' }, names: ['SCY_ACCOUNT_ID'], allowed: /whole number from 1/ },
    { name: 'threshold ratio out of range', env: { SCY_MAX_ERROR_RATE: '2' }, names: ['SCY_MAX_ERROR_RATE'], allowed: /from 0 to 1/ },
    { name: 'RF above 9', env: { SCY_RF: '10' }, names: ['SCY_RF'], allowed: /from 1 to 9/ },
    {
      name: 'MIN = MAX with cloud',
      env: { SCY_CLOUD_TOKEN: CLOUD_TOKEN, SCY_ACCOUNT_ID: '1', SCY_CLUSTER_ID: '2', SCY_MIN_NODES: '6', SCY_MAX_NODES: '6' },
      names: ['SCY_MIN_NODES', 'SCY_MAX_NODES'],
      allowed: /less than/,
    },
    {
      name: 'MIN > MAX with cloud',
      env: { SCY_CLOUD_TOKEN: CLOUD_TOKEN, SCY_ACCOUNT_ID: '1', SCY_CLUSTER_ID: '2', SCY_MIN_NODES: '9', SCY_MAX_NODES: '6' },
      names: ['SCY_MIN_NODES', 'SCY_MAX_NODES'],
      allowed: /less than/,
    },
    {
      name: 'MAX not a multiple of RF',
      env: { SCY_CLOUD_TOKEN: CLOUD_TOKEN, SCY_ACCOUNT_ID: '1', SCY_CLUSTER_ID: '2', SCY_MIN_NODES: '3', SCY_MAX_NODES: '7' },
      names: ['SCY_MAX_NODES', 'SCY_RF'],
      allowed: /multiple/,
    },
    {
      name: 'MIN not a multiple of RF',
      env: { SCY_CLOUD_TOKEN: CLOUD_TOKEN, SCY_ACCOUNT_ID: '1', SCY_CLUSTER_ID: '2', SCY_MIN_NODES: '4', SCY_MAX_NODES: '6' },
      names: ['SCY_MIN_NODES', 'SCY_RF'],
      allowed: /multiple/,
    },
    { name: 'token without ids', env: { SCY_CLOUD_TOKEN: 'tok' }, names: ['SCY_ACCOUNT_ID', 'SCY_CLUSTER_ID'], allowed: /or none of them/ },
    { name: 'ids without token', env: { SCY_ACCOUNT_ID: '1', SCY_CLUSTER_ID: '2' }, names: ['SCY_CLOUD_TOKEN'], allowed: /or none of them/ },
    { name: 'cluster id alone', env: { SCY_CLUSTER_ID: '2' }, names: ['SCY_CLOUD_TOKEN', 'SCY_ACCOUNT_ID'], allowed: /or none of them/ },
    { name: 'TLS CA file without TLS', env: { SCY_TLS_CA_FILE: '/etc/hostname' }, names: ['SCY_TLS_CA_FILE', 'SCY_TLS'], allowed: /SCY_TLS=1/ },
    { name: 'TLS CA file missing', env: { SCY_TLS: '1', SCY_TLS_CA_FILE: '/nonexistent/ca.pem' }, names: ['SCY_TLS_CA_FILE'], allowed: /no such file/ },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const msg = configError(() => load({ env: { ...BASE_ENV, ...c.env }, flags: c.flags ?? {} }));
      for (const n of c.names) assert.ok(msg.includes(n), `${JSON.stringify(msg)} should name ${n}`);
      assert.match(msg, c.allowed);
    });
  }

  test('a parse error names the flag too and quotes the value', () => {
    const msg = configError(() => load({ flags: { port: 'eighty' } }));
    assert.match(msg, /SCY_PORT/);
    assert.match(msg, /--port/);
    assert.match(msg, /eighty/);
  });

  test('a value with a newline still gives a one-line message', () => {
    configError(() => load({ env: { ...BASE_ENV, SCY_PORT: '12\n34' } }));
    configError(() => load({ env: { ...BASE_ENV, SCY_TLS: '1', SCY_TLS_CA_FILE: '/no/such\nfile' } }));
  });

  test('MIN ≥ MAX and non-multiples are accepted for a load-only run', () => {
    const cfg = load({ env: { ...BASE_ENV, SCY_MIN_NODES: '7', SCY_MAX_NODES: '5' } });
    assert.equal(cfg.cloud, null);
    assert.equal(cfg.minNodes, 7);
  });

  test('MIN/MAX multiples of a non-default RF are accepted with cloud', () => {
    const cfg = load({ env: { ...BASE_ENV, SCY_CLOUD_TOKEN: CLOUD_TOKEN, SCY_ACCOUNT_ID: '1', SCY_CLUSTER_ID: '2', SCY_RF: '2', SCY_MIN_NODES: '2', SCY_MAX_NODES: '8' } });
    assert.ok(cfg.cloud);
    assert.equal(cfg.rf, 2);
  });

  test('BATCH_MIN = BATCH_MAX is accepted', () => {
    const cfg = load({ env: { ...BASE_ENV, SCY_BATCH_MIN: '20', SCY_BATCH_MAX: '20' } });
    assert.equal(cfg.batchMin, 20);
    assert.equal(cfg.batchMax, 20);
  });

  test('http to a loopback Cloud API is accepted, trailing slash dropped', () => {
    for (const [raw, want] of [
      ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
      ['http://localhost:9999/', 'http://localhost:9999'],
      ['http://127.10.20.30/api/', 'http://127.10.20.30/api'],
      ['http://[::1]:8080', 'http://[::1]:8080'],
      ['https://api.cloud.scylladb.com/', 'https://api.cloud.scylladb.com'],
    ] as const) {
      const cfg = load({ env: { ...BASE_ENV, SCY_CLOUD_API_BASE: raw } });
      assert.equal(cfg.cloudApiBase, want);
    }
  });

  test('TLS CA file that exists with TLS on is accepted', () => {
    const dir = emptyDir();
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, 'x');
    const cfg = load({ env: { ...BASE_ENV, SCY_TLS: 'yes', SCY_TLS_CA_FILE: ca } });
    assert.equal(cfg.tls, true);
    assert.equal(cfg.tlsCaFile, ca);
  });
});

describe('parsers', () => {
  const rejects = (p: (r: string) => unknown, raw: string): void => {
    assert.throws(() => p(raw), ParseError, `${JSON.stringify(raw)} should be rejected`);
  };

  test('integer', () => {
    const p = integer(1, 100);
    assert.equal(p('1'), 1);
    assert.equal(p(' 100 '), 100);
    assert.equal(p('+5'), 5);
    for (const bad of ['0', '101', '1.5', '1e2', '', ' ', 'ten', '0x10', '5abc']) rejects(p, bad);
    assert.equal(integer(0)('0'), 0);
    rejects(integer(0), '-1');
    rejects(integer(0), '99999999999999999999');
  });

  test('decimal', () => {
    const p = decimal(0.1, 10);
    assert.equal(p('0.1'), 0.1);
    assert.equal(p('10'), 10);
    assert.equal(p(' 2.5 '), 2.5);
    for (const bad of ['0.09', '10.01', '', '  ', 'NaN', 'Infinity', '-Infinity', 'abc', '1,5']) rejects(p, bad);
    assert.equal(decimal(0)('1e3'), 1000);
    assert.match(String((() => { try { decimal(0)('x'); } catch (e) { return (e as Error).message; } return ''; })()), /≥ 0/);
  });

  test('bool', () => {
    for (const t of ['1', 'true', 'TRUE', 'yes', 'on', ' On ']) assert.equal(bool(t), true, t);
    for (const f of ['0', 'false', 'no', 'OFF', '']) assert.equal(bool(f), false, f);
    for (const bad of ['2', 'y', 'enabled', 'truee']) rejects(bool, bad);
  });

  test('oneOf is case-insensitive and returns the canonical spelling', () => {
    const p = oneOf(['LOCAL_QUORUM', 'ONE'] as const);
    assert.equal(p('local_quorum'), 'LOCAL_QUORUM');
    assert.equal(p(' one '), 'ONE');
    rejects(p, 'two');
    rejects(p, '');
  });

  test('text, nonEmptyText, cqlIdentifier', () => {
    assert.equal(text('  a b  '), 'a b');
    assert.equal(text(''), '');
    assert.equal(nonEmptyText(' x '), 'x');
    rejects(nonEmptyText, '   ');
    assert.equal(cqlIdentifier('Demo_KS_1'), 'Demo_KS_1');
    assert.equal(cqlIdentifier('a'.repeat(48)), 'a'.repeat(48));
    for (const bad of ['', '_ks', '1ks', 'k s', 'k-s', 'a'.repeat(49), 'ks;', '"ks"']) rejects(cqlIdentifier, bad);
  });

  test('hostList', () => {
    assert.deepEqual(hostList('a,b ,  c'), ['a', 'b', 'c']);
    assert.deepEqual(hostList('10.0.0.1,,node-2.example.com'), ['10.0.0.1', 'node-2.example.com']);
    assert.deepEqual(hostList('[::1]'), ['[::1]']);
    for (const bad of ['', ',', 'a b', 'a;b', 'host/path']) rejects(hostList, bad);
  });

  test('isLoopbackHost and apiUrl', () => {
    for (const h of ['localhost', 'LOCALHOST', '127.0.0.1', '127.255.0.9', '::1', '[::1]']) assert.equal(isLoopbackHost(h), true, h);
    for (const h of ['10.0.0.1', 'example.com', '128.0.0.1', 'localhost.evil.com', '127.0.0.1.evil.com']) assert.equal(isLoopbackHost(h), false, h);
    rejects(apiUrl, 'http://localhost.evil.com');
    rejects(apiUrl, 'http://127.0.0.1.nip.io');
    rejects(apiUrl, 'https://user:pass@api.example.com');
    rejects(apiUrl, '');
    assert.equal(apiUrl(' https://x.example.com/v1// '), 'https://x.example.com/v1');
  });

  test('duration in seconds', () => {
    assert.equal(duration('600'), 600);
    assert.equal(duration('2.5'), 2.5);
    assert.equal(duration('90s'), 90);
    assert.equal(duration('15m'), 900);
    assert.equal(duration('2h'), 7200);
    assert.equal(duration('1h30m'), 5400);
    assert.equal(duration('1h0m5s'), 3605);
    assert.equal(duration('1.5s'), 1.5);
    assert.equal(duration(' 2S '), 2);
    for (const bad of ['', 'h', 'm', '1d', '30s15m', '-5', 'soon', '1.5m']) rejects(duration, bad);
  });
});

describe('secrets', () => {
  test('Secret masks toString, template strings, JSON and util.inspect', () => {
    const value = randomSecret();
    const s = new Secret(value);
    assert.equal(s.reveal(), value);
    assert.equal(s.isSet, true);
    assert.ok(!String(s).includes(value));
    assert.ok(!`${s}`.includes(value));
    assert.ok(!JSON.stringify({ s }).includes(value));
    assert.ok(!inspect(s).includes(value));
    assert.ok(!inspect({ nested: { s } }, { depth: 5 }).includes(value));
    assert.ok(!inspect(s, { showHidden: true }).includes(value));
    assert.match(String(s), /\*\*\*/);
    assert.equal(new Secret('').isSet, false);
  });

  test('redact scrubs every known secret, however often it occurs', () => {
    const a = randomSecret();
    const b = randomSecret();
    new Secret(a);
    new Secret(b);
    const out = redact(`x ${a} y ${b} z ${a}`);
    assert.ok(!out.includes(a));
    assert.ok(!out.includes(b));
    assert.match(out, /^x \*\*\* y \*\*\* z \*\*\*$/);
    assert.equal(redact('nothing secret here'), 'nothing secret here');
  });

  test('redact masks a secret whole when a shorter secret occurs inside it or overlaps its start', () => {
    const long = randomSecret() + '7q7';
    new Secret('7');
    new Secret(long);
    assert.equal(redact(`x ${long} y 7 z`), 'x *** y *** z');
    new Secret('ZQ');
    new Secret('QWERTYUIOPZ');
    assert.equal(redact('a ZQWERTYUIOPZ b QWERTYUIOPZQ c ZQ'), 'a *** b *** c ***');
    assert.equal(redact('ZQ at the start, at the end QWERTYUIOPZ'), '*** at the start, at the end ***');
    new Secret('a.*(b)|[c]\\$');
    assert.equal(redact('p=a.*(b)|[c]\\$; q=a.x(b)'), 'p=***; q=a.x(b)');
  });

  test('loading a config registers its secrets with redact()', () => {
    const pw = randomSecret();
    const tok = randomSecret();
    load({ env: { ...BASE_ENV, SCY_PASSWORD: pw, SCY_CLOUD_TOKEN: tok, SCY_ACCOUNT_ID: '1', SCY_CLUSTER_ID: '2' } });
    assert.equal(redact(`auth failed for ${pw} with ${tok}`), 'auth failed for *** with ***');
  });

  for (const key of KEYS.filter((k) => SETTINGS[k].secret)) {
    const s = SETTINGS[key];
    test(`${s.env} never appears in an error message`, () => {
      for (const via of ['env', 'flag'] as const) {
        const secret = randomSecret();
        const env: Record<string, string> = { ...BASE_ENV, SCY_PORT: 'bad-port' };
        const flags: ConfigSources['flags'] = {};
        if (via === 'env') env[s.env] = secret;
        else flags[key] = secret;
        const msg = configError(() => load({ env, flags }));
        assert.ok(!msg.includes(secret), `${s.env} leaked via ${via}: ${msg}`);
        // the secret itself as the wrong value of another setting: shown only if that setting is not secret,
        // but the secret's own failure modes (partial cloud settings) must not show it
        const partial = configError(() => load({ env: { ...BASE_ENV, [s.env]: secret, SCY_CLUSTER_ID: '2' } }));
        assert.ok(!partial.includes(secret), `${s.env} leaked: ${partial}`);
      }
    });
  }

  test('a secret typed with stray whitespace or odd characters still never leaks', () => {
    const secret = `  ${randomSecret()}"\n'  `;
    const msg = configError(() => load({ env: { ...BASE_ENV, SCY_CLOUD_TOKEN: secret, SCY_TLS: 'perhaps' } }));
    assert.ok(!msg.includes(secret.trim()));
  });
});

describe('help and .env.example', () => {
  test('renderEnvExample lists every SCY_ variable with its default, every line a comment', () => {
    const text = renderEnvExample();
    for (const key of KEYS) {
      const s = SETTINGS[key];
      const def = 'default' in s && s.default !== undefined ? s.default : '';
      assert.ok(text.includes(`# ${s.env}=${JSON.stringify(def)}`), `${s.env} missing from .env.example`);
      assert.ok(text.includes(`--${s.flag}`), `--${s.flag} missing from .env.example`);
    }
    for (const line of text.split('\n')) assert.ok(line === '' || line.startsWith('#'), `not a comment: ${line}`);
  });

  test('the example, uncommented, is a valid env file that gives the defaults', () => {
    const dir = emptyDir();
    const uncommented = renderEnvExample()
      .split('\n')
      .filter((l) => /^# SCY_[A-Z0-9_]+=/.test(l))
      .map((l) => l.slice(2))
      .join('\n');
    writeFileSync(join(dir, 'example.env'), uncommented);
    const viaFile = loadConfig({ env: {}, flags: { contactPoints: '10.0.0.1' }, envFile: 'example.env', cwd: dir });
    const viaDefaults = load();
    for (const key of KEYS) {
      if (key === 'contactPoints') continue;
      assert.deepEqual(
        (viaFile as unknown as Record<string, unknown>)[key],
        (viaDefaults as unknown as Record<string, unknown>)[key],
        key,
      );
    }
  });

  test('.env.example at the repo root equals renderEnvExample()', () => {
    const path = join(REPO_ROOT, '.env.example');
    assert.ok(existsSync(path), `${path} does not exist: generate it from renderEnvExample()`);
    assert.equal(readFileSync(path, 'utf8'), renderEnvExample());
  });

  test("README's settings section is the table's current rendering, naming every variable and flag", () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    assert.ok(readme.includes(renderSettingsMarkdown()), 'README settings are stale: run npm run docs');
    for (const s of Object.values(SETTINGS)) {
      assert.ok(readme.includes(`\`${s.env}\``) && readme.includes(`\`--${s.flag}\``), s.env);
    }
  });
});

describe('Cloud API base URL and token checks', () => {
  const cloud = { SCY_ACCOUNT_ID: '1', SCY_CLUSTER_ID: '2' };

  test('SCY_CLOUD_API_BASE with a query string or fragment is refused, and the query is not echoed', () => {
    for (const raw of ['https://api.example.com/?region=eu', 'https://api.example.com/v1?token=QsecretQ', 'https://api.example.com#frag9', 'https://api.example.com/?', 'http://127.0.0.1:8080/#']) {
      const msg = configError(() => load({ env: { ...BASE_ENV, SCY_CLOUD_API_BASE: raw } }));
      assert.match(msg, /SCY_CLOUD_API_BASE/);
      assert.match(msg, /without user, password, query or fragment/);
      assert.ok(!msg.includes('QsecretQ') && !msg.includes('region=eu') && !msg.includes('frag9'), msg);
    }
  });

  test('a password in the base URL is masked whole, even when it holds "@", "/", "?" or ":"', () => {
    for (const [raw, secretPart] of [
      ['https://user:p@ssw0rdX@api.example.com/v1', 'ssw0rdX'],
      ['https://user:pa:ss@api.example.com', 'pa:ss'],
      ['https://user:pa/ss@api.example.com', 'pa/ss'],
      ['https://user:pa?ss@api.example.com', 'pa?ss'],
      ['https://tok3nOnly@api.example.com', 'tok3nOnly'],
    ] as const) {
      const msg = configError(() => load({ env: { ...BASE_ENV, SCY_CLOUD_API_BASE: raw } }));
      assert.match(msg, /SCY_CLOUD_API_BASE/);
      assert.ok(!msg.includes(secretPart), `${secretPart} shown in ${msg}`);
      assert.ok(!msg.includes('user:'), `the user name is masked too: ${msg}`);
      assert.match(msg, /"https:\/\/\*\*\*@api\.example\.com/);
    }
  });

  test('maskUrl hides userinfo and query, and leaves other text alone', () => {
    assert.equal(maskUrl('https://u:p@ss@h.example.com/x?token=abc#f'), 'https://***@h.example.com/x?***');
    assert.equal(maskUrl('https://h.example.com/v1'), 'https://h.example.com/v1');
    assert.equal(maskUrl('datacenter1'), 'datacenter1');
  });

  test('a token with a character HTTP cannot carry in a header is refused at load, without echoing it', () => {
    const cases: [string, RegExp][] = [
      ['\r\n', /line break/],
      ['\n', /line break/],
      ['\u0000', /control character/],
      ['\u0007', /control character/],
      ['é', /non-ASCII/],
      ['\u200b', /non-ASCII/],
      [' ', /space/],
    ];
    for (const [bad, what] of cases) {
      const token = `tok_${randomSecret()}${bad}tail${randomSecret()}`;
      for (const via of ['env', 'flag'] as const) {
        const msg = configError(() =>
          load(via === 'env' ? { env: { ...BASE_ENV, ...cloud, SCY_CLOUD_TOKEN: token } } : { env: { ...BASE_ENV, ...cloud }, flags: { cloudToken: token } }),
        );
        assert.match(msg, /SCY_CLOUD_TOKEN/);
        assert.match(msg, /visible ASCII/);
        assert.match(msg, what);
        for (const part of token.split(bad)) assert.ok(!msg.includes(part), `token part leaked: ${msg}`);
      }
    }
    // surrounding whitespace (a trailing newline from a file) is trimmed, not refused
    const cfg = load({ env: { ...BASE_ENV, ...cloud, SCY_CLOUD_TOKEN: `${CLOUD_TOKEN}\n` } });
    assert.equal(cfg.cloud?.token.reveal(), CLOUD_TOKEN);
  });

  test('summary settings mask secrets, a secret pasted into another setting, and URL credentials', () => {
    const pw = randomSecret();
    const cfg = load({ env: { ...BASE_ENV, ...cloud, SCY_CLOUD_TOKEN: CLOUD_TOKEN, SCY_PASSWORD: pw, SCY_LOCAL_DC: `dc-${pw}`, SCY_TLS: '1', SCY_TLS_CA_FILE: '/etc/hostname' } });
    const shown = JSON.stringify(reportedSettings(cfg));
    assert.ok(!shown.includes(pw) && !shown.includes(CLOUD_TOKEN), shown);
    const s = reportedSettings(cfg);
    assert.equal(s.SCY_PASSWORD, '***');
    assert.equal(s.SCY_CLOUD_TOKEN, '***');
    assert.equal(s.SCY_LOCAL_DC, 'dc-***');
    assert.equal(s.SCY_CLOUD_API_BASE, 'https://api.cloud.scylladb.com');
    assert.deepEqual(s.SCY_CONTACT_POINTS, ['10.0.0.1']);
  });
});
