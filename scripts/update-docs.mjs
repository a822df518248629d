// Regenerates .env.example and README's settings section from the settings table (run: npm run docs).
import { readFileSync, writeFileSync } from 'node:fs';
import { renderEnvExample, renderSettingsMarkdown } from '../dist/src/config/help.js';

writeFileSync('.env.example', renderEnvExample());
const readme = readFileSync('README.md', 'utf8');
const start = '<!-- settings:start -->';
const end = '<!-- settings:end -->';
const a = readme.indexOf(start);
const b = readme.indexOf(end);
if (a < 0 || b < a) throw new Error('README.md lacks the settings markers');
writeFileSync('README.md', readme.slice(0, a + start.length) + '\n' + renderSettingsMarkdown() + readme.slice(b));
