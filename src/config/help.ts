import { SETTINGS, type Group, type SettingKey } from './settings.js';

// Text generated from the settings table: the --help epilogue pieces and .env.example, so neither can drift.

export function optionDescription(key: SettingKey): string {
  const s = SETTINGS[key];
  const def = 'default' in s && s.default !== undefined ? `default ${s.default === '' ? '(empty)' : s.default}` : 'no default';
  return `${s.doc} [${s.env}; ${def}]`;
}

export const GROUPS: Group[] = ['CQL', 'Schema', 'Cloud API', 'Resize', 'Load', 'Run', 'Thresholds'];

export function keysOfGroup(group: Group): SettingKey[] {
  return (Object.keys(SETTINGS) as SettingKey[]).filter((k) => SETTINGS[k].group === group);
}

/** The whole .env.example: every setting, commented, with its default. */
export function renderEnvExample(): string {
  const lines = [
    '# scylla-resize-test settings. Load with:  set -a; source .env; set +a',
    '# (or keep this file as .env in the working directory; real environment variables win over it,',
    '#  and command-line flags win over both). Generated from src/config/settings.ts.',
    "# The tool reads this file as bash does; put a value holding # $ \\ ` or spaces in 'single quotes'.",
  ];
  for (const group of GROUPS) {
    lines.push('', `# --- ${group} ---`);
    for (const key of keysOfGroup(group)) {
      const s = SETTINGS[key];
      lines.push(`# ${s.doc} (flag --${s.flag})`);
      const value = 'default' in s && s.default !== undefined ? s.default : '';
      lines.push(`# ${s.env}=${JSON.stringify(value)}`);
    }
  }
  return lines.join('\n') + '\n';
}

/** README's settings tables, one per group. */
export function renderSettingsMarkdown(): string {
  const out: string[] = [];
  for (const group of GROUPS) {
    out.push(`#### ${group}`, '', '| variable | flag | default | meaning |', '|---|---|---|---|');
    for (const key of keysOfGroup(group)) {
      const s = SETTINGS[key];
      const def = 'default' in s && s.default !== undefined ? `\`${s.default}\`` : '—';
      const orig = s.original ? ' *(original)*' : '';
      out.push(`| \`${s.env}\`${orig} | \`--${s.flag}\` | ${def} | ${s.doc.replace(/\|/g, '\\|')} |`);
    }
    out.push('');
  }
  return out.join('\n');
}
