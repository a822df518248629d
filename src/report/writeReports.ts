// Writes the run's two end-of-run artifacts side by side, so a CI job can keep one folder.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderHtmlReport, type HtmlReportInput } from './html.js';

export async function writeRunReports(
  dir: string,
  input: HtmlReportInput,
): Promise<{ summaryJson: string; html: string }> {
  await mkdir(dir, { recursive: true });
  const summaryJson = join(dir, 'summary.json');
  const html = join(dir, 'report.html');
  await writeFile(summaryJson, JSON.stringify(input.summary, null, 2) + '\n');
  await writeFile(html, renderHtmlReport(input));
  return { summaryJson, html };
}
