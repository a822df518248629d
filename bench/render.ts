// Re-renders BENCHMARKS.md from bench/results.json (e.g. after editing bench/NOTES.md): node dist/bench/render.js
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderMarkdown, type BenchResults } from './report.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const results = JSON.parse(readFileSync(join(repo, 'bench', 'results.json'), 'utf8')) as BenchResults;
writeFileSync(join(repo, 'BENCHMARKS.md'), renderMarkdown(results));
