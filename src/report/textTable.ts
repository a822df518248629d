// Column-aligned plain-text tables for the terminal. Widths are measured without ANSI codes so coloured cells
// still line up.

import { visibleWidth } from './format.js';

export interface Column {
  header: string;
  align?: 'left' | 'right';
  /** Columns sharing a group get one spanning caption above their headers. */
  group?: string;
}

const GAP = '  ';

function pad(text: string, width: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, width - visibleWidth(text)));
  return align === 'right' ? fill + text : text + fill;
}

/** Widens the last column of any group whose caption would not fit over its columns. */
function fitGroups(columns: Column[], widths: number[]): void {
  let i = 0;
  while (i < columns.length) {
    const group = columns[i]!.group;
    let j = i + 1;
    while (group && j < columns.length && columns[j]!.group === group) j++;
    if (group) {
      const span = widths.slice(i, j).reduce((a, b) => a + b, 0) + GAP.length * (j - i - 1);
      const need = group.length + 4;
      if (need > span) widths[j - 1]! += need - span;
    }
    i = j;
  }
}

function groupLine(columns: Column[], widths: number[]): string | null {
  if (!columns.some((c) => c.group)) return null;
  const parts: string[] = [];
  let i = 0;
  while (i < columns.length) {
    const group = columns[i]!.group;
    let span = widths[i]!;
    let j = i + 1;
    while (group && j < columns.length && columns[j]!.group === group) span += GAP.length + widths[j++]!;
    if (!group) {
      parts.push(' '.repeat(span));
    } else {
      const caption = ` ${group} `;
      const rule = Math.max(0, span - caption.length);
      parts.push('─'.repeat(Math.floor(rule / 2)) + caption + '─'.repeat(Math.ceil(rule / 2)));
    }
    i = j;
  }
  return parts.join(GAP).trimEnd();
}

/** Renders header, rule and rows; `decorateHeader` lets the caller style header text (e.g. bold). */
export function renderTextTable(
  columns: Column[],
  rows: string[][],
  decorateHeader: (text: string) => string = (t) => t,
): string[] {
  const widths = columns.map((c, i) =>
    Math.max(visibleWidth(c.header), ...rows.map((r) => visibleWidth(r[i] ?? ''))),
  );
  fitGroups(columns, widths);
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => pad(cell, widths[i]!, columns[i]!.align ?? 'right'))
      .join(GAP)
      .trimEnd();
  const out: string[] = [];
  const groups = groupLine(columns, widths);
  if (groups) out.push(decorateHeader(groups));
  out.push(decorateHeader(line(columns.map((c) => c.header))));
  out.push(widths.map((w) => '─'.repeat(w)).join(GAP));
  for (const row of rows) out.push(line(row));
  return out;
}
