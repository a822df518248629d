import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { EnvFileError, readEnvFile } from './envFile.js';
import { describeInvisible, findInvisible } from './invisible.js';
import { ParseError } from './parse.js';
import { Secret, maskUrl, redact } from './secret.js';
import { SETTINGS, type RawSettings, type Setting, type SettingKey } from './settings.js';
import { resolveShard } from './shard.js';
import type { Shard } from './shardSpec.js';

/** A bad setting: its message is one line, names the setting and what is allowed, and never holds a secret. */
export class ConfigError extends Error {}

export interface CloudSettings {
  apiBase: string;
  token: Secret;
  accountId: number;
  clusterId: number;
  dcId: number | undefined;
}

export type Config = Omit<RawSettings, 'password' | 'cloudToken' | 'shard'> & {
  password: Secret | undefined;
  /** Which of the run's loader processes this is (0 of 1 for a one-process run). */
  shard: Shard;
  /** Null when the Cloud settings are absent: the run is load only. */
  cloud: CloudSettings | null;
  /** Where each setting's value came from, for the summary and --print-config. */
  sources: Partial<Record<SettingKey, 'flag' | 'env' | 'env-file' | 'default'>>;
};

export interface ConfigSources {
  env: Record<string, string | undefined>;
  /** Flag values by setting key, as typed on the command line. */
  flags: Partial<Record<SettingKey, string>>;
  /** An explicit --settings-file; otherwise `.env` in `cwd` is read when present; null reads no file. */
  envFile?: string | null;
  cwd: string;
}

function readSettingsFile(sources: ConfigSources): Record<string, string> {
  if (sources.envFile === null) return {};
  const explicit = sources.envFile !== undefined;
  const shownAs = explicit ? (sources.envFile as string) : '.env';
  const path = resolve(sources.cwd, shownAs);
  if (!existsSync(path)) {
    if (explicit) throw new ConfigError(`--settings-file ${shownAs}: no such file`);
    return {};
  }
  try {
    return readEnvFile(path, shownAs);
  } catch (e) {
    if (e instanceof EnvFileError) throw new ConfigError(e.message);
    throw e;
  }
}

/** Flag wins over the environment, which wins over the settings file. */
export function loadConfig(sources: ConfigSources): Config {
  const fileEnv = readSettingsFile(sources);
  // Secrets are known to redact() before anything is parsed, so one pasted into the wrong setting is masked too.
  for (const key of Object.keys(SETTINGS) as SettingKey[]) {
    const setting: Setting<unknown> = SETTINGS[key];
    if (!setting.secret) continue;
    for (const v of [sources.flags[key], sources.env[setting.env], fileEnv[setting.env]]) if (v) new Secret(v);
  }
  const raw: Record<string, unknown> = {};
  const origin: Config['sources'] = {};
  for (const key of Object.keys(SETTINGS) as SettingKey[]) {
    const setting = SETTINGS[key];
    const candidates: [string | undefined, NonNullable<Config['sources'][SettingKey]>][] = [
      [sources.flags[key], 'flag'],
      [sources.env[setting.env], 'env'],
      [fileEnv[setting.env], 'env-file'],
      ['default' in setting ? setting.default : undefined, 'default'],
    ];
    const found = candidates.find(([v]) => v !== undefined);
    if (!found) continue;
    const [value, from] = found;
    // An empty variable means "unset" for optional settings, as in `export SCY_PASSWORD=""`.
    if (value === '' && !('default' in setting) && from !== 'default') continue;
    try {
      raw[key] = (setting.parse as (r: string) => unknown)(value as string);
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      const shown = setting.secret ? '***' : redact(JSON.stringify(maskUrl(value as string)));
      throw new ConfigError(`${setting.env}=${shown} (--${setting.flag}): expected ${e.message}`);
    }
    // Parsers trim the ends; what they accepted must not hide a character nobody can see (the value is not shown).
    const hidden = findInvisible((value as string).trim());
    if (hidden) {
      throw new ConfigError(`${setting.env} (--${setting.flag}, from ${from}): holds an invisible character (${describeInvisible(hidden.char)}) at character ${hidden.index + 1}; retype the value`);
    }
    origin[key] = from;
  }
  return crossCheck(raw as RawSettings, origin, sources.env);
}

function fail(message: string): never {
  throw new ConfigError(message);
}

function crossCheck(r: RawSettings, sources: Config['sources'], env: ConfigSources['env']): Config {
  const { password, cloudToken, ...rest } = r;
  if (r.contactPoints === undefined) {
    fail('SCY_CONTACT_POINTS (--contact-points) is required: a comma-separated list of CQL hosts');
  }
  if (r.batchMin > r.batchMax) {
    fail(`SCY_BATCH_MIN=${r.batchMin} must be ≤ SCY_BATCH_MAX=${r.batchMax}`);
  }
  if (r.tlsCaFile !== undefined) {
    if (!r.tls) fail('SCY_TLS_CA_FILE (--tls-ca-file) is set but SCY_TLS is 0: set SCY_TLS=1 to use it');
    if (!existsSync(r.tlsCaFile)) fail(`SCY_TLS_CA_FILE=${JSON.stringify(r.tlsCaFile)} (--tls-ca-file): no such file`);
  }
  const cloudParts = { SCY_CLOUD_TOKEN: cloudToken, SCY_ACCOUNT_ID: r.accountId, SCY_CLUSTER_ID: r.clusterId };
  const given = Object.entries(cloudParts).filter(([, v]) => v !== undefined && v !== '');
  let cloud: CloudSettings | null = null;
  if (given.length > 0) {
    const missing = Object.keys(cloudParts).filter((k) => !given.some(([g]) => g === k));
    if (missing.length > 0) {
      fail(`${missing.join(' and ')} must be set too: resizing needs SCY_CLOUD_TOKEN, SCY_ACCOUNT_ID and SCY_CLUSTER_ID (or none of them for a load-only run)`);
    }
    if (r.minNodes >= r.maxNodes) {
      fail(`SCY_MIN_NODES=${r.minNodes} must be less than SCY_MAX_NODES=${r.maxNodes}`);
    }
    for (const [name, n] of [['SCY_MIN_NODES', r.minNodes], ['SCY_MAX_NODES', r.maxNodes]] as const) {
      if (n % r.rf !== 0) fail(`${name}=${n} must be a multiple of SCY_RF=${r.rf} (Scylla Cloud resizes in multiples of the replication factor)`);
    }
    cloud = {
      apiBase: r.cloudApiBase,
      token: new Secret(cloudToken as string),
      accountId: r.accountId as number,
      clusterId: r.clusterId as number,
      dcId: r.dcId,
    };
  }
  return { ...rest, shard: resolveShard(r, env), password: password ? new Secret(password) : undefined, cloud, sources };
}
