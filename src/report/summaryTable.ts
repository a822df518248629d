// The final summary as the terminal shows it: readable at 120 columns, colour only when asked for.

import type { RunSummary } from '../metrics/types.js';
import { paint } from './format.js';
import { buildSummaryModel, type Cell } from './summaryModel.js';
import { renderTextTable } from './textTable.js';

// Room for "cycle 12 · waiting: <a short reason>"; longer labels are cut with an ellipsis.
const LABEL_MAX = 36;

function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : chars.slice(0, max - 1).join('') + '…';
}

export function renderSummaryTable(summary: RunSummary, opts: { color: boolean }): string {
  const { color } = opts;
  const model = buildSummaryModel(summary);
  const cell = (x: Cell): string => {
    const text = x.short ?? x.text;
    return x.tone ? paint(text, x.tone, color) : text;
  };
  const heading = (text: string): string => paint(text, 'bold', color);
  const out: string[] = [heading(model.title), ''];

  const verdict = cell({ text: model.passed ? 'PASS' : 'FAIL', tone: model.passed ? 'green' : 'red' });
  const facts: [string, string][] = [
    ...model.headline.map((h): [string, string] => [h.label, cell(h.value)]),
    ['verdict', `${verdict} (exit code ${model.exitCode})`],
  ];
  const labelWidth = Math.max(...facts.map(([label]) => label.length));
  for (const [label, value] of facts) out.push(`${label.padEnd(labelWidth)}  ${value}`);
  // Every reason the run failed sits right under the verdict, so the exit code is never left unexplained.
  for (const why of model.failures) out.push(`${' '.repeat(labelWidth)}  ${paint(`✗ ${why}`, 'red', color)}`);

  for (const table of model.tables) {
    out.push('', heading(table.title));
    // Only the first column holds free text (phase labels, ids); capping it keeps the numbers on screen.
    const rows = table.rows.map((row) =>
      row.map((x, i) => cell(i === 0 ? { ...x, short: truncate(x.short ?? x.text, LABEL_MAX) } : x)),
    );
    out.push(...renderTextTable(table.columns, rows, (t) => paint(t, 'dim', color)));
    if (table.note) out.push(paint(table.note, 'dim', color));
  }

  out.push('', heading('Verification sweep'));
  out.push(model.verification ? cell(model.verification) : 'not run');

  out.push('', heading('Thresholds'));
  if (model.thresholds.length === 0) out.push('none set');
  for (const t of model.thresholds) {
    out.push(`${t.passed ? paint('PASS', 'green', color) : paint('FAIL', 'red', color)}  ${t.text}`);
  }

  if (model.warnings.length > 0) {
    out.push('', heading('Warnings'));
    for (const w of model.warnings) out.push(paint(`! ${w}`, 'yellow', color));
  }
  return out.join('\n') + '\n';
}
