import type { Config } from './load.js';
import { maskUrl, redact } from './secret.js';
import { SETTINGS, type SettingKey } from './settings.js';

/**
 * The settings as summary.json and report.html show them: secret settings as ***, and in every other value any
 * known secret (one pasted into the wrong setting) and any credential a URL could carry masked too.
 */
export function reportedSettings(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(SETTINGS) as SettingKey[]) {
    const v = (config as unknown as Record<string, unknown>)[key];
    if (v === undefined) continue;
    out[SETTINGS[key].env] = SETTINGS[key].secret ? '***' : masked(v);
  }
  if (config.cloud) out.SCY_CLOUD_TOKEN = '***';
  return out;
}

function masked(v: unknown): unknown {
  if (typeof v === 'string') return redact(maskUrl(v));
  if (Array.isArray(v)) return v.map(masked);
  return v;
}
