import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command } from 'commander';
import type { RunSummary } from '../metrics/types.js';
import { writeRunReports } from '../report/writeReports.js';
import { renderSummaryTable } from '../report/summaryTable.js';
import { mergeShardRecords, type MergedSummary } from './merge.js';
import { SHARD_FILE, readShardRecord } from './record.js';

// `scylla-resize-test merge RUN_DIR...`: the shards' folders in, one summary.json, report.html, printed summary and
// exit code out. Bad folders throw ShardFolderError (one line; the CLI exits 2).

export interface MergeOptions {
  dirs: string[];
  /** Where the merged reports go; default: `merged` beside the first shard folder. */
  out?: string;
  tool: RunSummary['tool'];
  print: (text: string) => void;
  color: boolean;
}

/** A run's folder (<SCY_OUT_DIR>/<SCY_RUN_ID>) stands for the shard-<i> folders in it. */
export function expandRunDirs(dirs: string[]): string[] {
  return dirs.flatMap((dir) => {
    if (existsSync(join(dir, SHARD_FILE)) || !existsSync(dir)) return [dir];
    const shards = readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && /^shard-\d+$/.test(e.name))
      .map((e) => e.name)
      .sort((a, b) => Number(a.slice(6)) - Number(b.slice(6)));
    return shards.length > 0 ? shards.map((name) => join(dir, name)) : [dir];
  });
}

export async function runMerge(o: MergeOptions): Promise<{ exitCode: number; summary: MergedSummary; outDir: string }> {
  const dirs = expandRunDirs(o.dirs);
  const inputs = dirs.map((dir) => ({ dir, record: readShardRecord(dir) }));
  const merged = mergeShardRecords(inputs, o.tool);
  const outDir = o.out ?? join(dirname(dirs[0]!), 'merged');
  const files = await writeRunReports(outDir, merged);
  o.print(renderSummaryTable(merged.summary, { color: o.color }));
  o.print(`\nmerged ${inputs.length} shards of run ${merged.summary.runId}: ${files.summaryJson}, ${files.html}`);
  return { exitCode: merged.summary.exitCode, summary: merged.summary, outDir };
}

/** The `merge` subcommand; `chosen` receives the folders and options once commander has parsed them. */
export function mergeCommand(chosen: (args: { dirs: string[]; out?: string }) => void): Command {
  return new Command('merge')
    .description('Merge the run folders of all shards of one run (SCY_SHARD, SCY_RUN_ID) into one\nsummary.json, report.html, printed summary and exit code. Every shard of the run must be given,\neach once.')
    .argument('<run-dir...>', 'the shards\' run folders (<SCY_OUT_DIR>/<SCY_RUN_ID>/shard-<i>), or the run\'s folder holding them')
    .option('--out <dir>', 'folder for the merged summary.json and report.html (default: merged/ beside the first run folder)')
    .exitOverride()
    .configureOutput({ outputError: () => {} })
    .action((dirs: string[], opts: { out?: string }) => chosen({ dirs, ...(opts.out ? { out: opts.out } : {}) }));
}
