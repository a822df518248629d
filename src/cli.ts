#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { realClock } from './clock.js';
import { ConfigError, loadConfig, type Config, type ConfigSources } from './config/load.js';
import { GROUPS, keysOfGroup, optionDescription } from './config/help.js';
import { redact } from './config/secret.js';
import { SETTINGS, type SettingKey } from './config/settings.js';
import { runDemo, DEMO_DEFAULTS } from './demo.js';
import { createLogger } from './log.js';
import { EXIT, EXIT_MEANINGS } from './verdict/exitCodes.js';
import { CompareInputError, compareRuns, readRunSummary, renderComparison, type CompareTolerances } from './report/compare.js';
import { runTool } from './run.js';
import { mergeCommand, runMerge } from './shard/mergeCommand.js';
import { ShardFolderError } from './shard/record.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const EPILOGUE = `
Settings come from flags, then SCY_* environment variables, then a .env file in the working directory
(or --settings-file PATH); flags win. Every flag above names its variable. The file is read as bash reads it
with \`set -a; source .env\`; a line the shell and other .env readers would read differently is refused.

CQL frames are sent uncompressed: cassandra-driver (Node.js) has no lz4 or snappy protocol compression,
unlike the Python tool this replaces.

\`merge RUN_DIR...\` turns the run folders of the shards of one run into one report (see merge --help).

Exit codes:
${EXIT_MEANINGS.map(([code, meaning]) => `  ${String(code).padStart(3)}  ${meaning}`).join('\n')}

Compare two runs: scylla-resize-test compare BASE_RUN NEW_RUN (see compare --help).`;

const COMPARE_EPILOGUE = `
BASE_RUN and NEW_RUN are run folders (each holds a summary.json). Phases are compared by kind (steady@N,
resize A→B; every occurrence of a kind merged); a kind in only one run is listed, not gated. A tolerance is
in percent of the base run's figure; without any tolerance compare only prints.

Exit codes: 0 every change within the tolerances · 3 a change beyond a tolerance · 2 bad input (missing
folder, not a run folder, bad tolerance, no phase kind in common) · 1 internal error.`;

/** A tolerance in percent; commander turns the throw into a one-line error naming the flag. */
function percent(raw: string): number {
  const n = Number(raw.trim());
  if (raw.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a percentage ≥ 0, e.g. 10');
  return n;
}

function addSettingOptions(cmd: Command): Command {
  for (const group of GROUPS) {
    for (const key of keysOfGroup(group)) {
      const s = SETTINGS[key];
      const isBool = s.arg === '0|1';
      const opt = new Option(`--${s.flag} ${isBool ? '[0|1]' : `<${s.arg ?? 'value'}>`}`, optionDescription(key)).helpGroup(`${group} settings:`);
      cmd.addOption(opt);
    }
  }
  return cmd;
}

// Node 20 takes --env-file for itself wherever it stands on its command line, also after the script name: a
// missing file stops node before this tool runs ("node: PATH: not found", exit 9). So the option has a name
// Node does not take, and the old spelling, when it gets through, says so instead of being an unknown option.
const OLD_SETTINGS_FILE_FLAG = '--env-file';

function addSettingsFileOption(cmd: Command): Command {
  cmd.option('--settings-file <path>', 'Read settings from this file (.env syntax) instead of ./.env');
  return cmd.addOption(new Option(`${OLD_SETTINGS_FILE_FLAG} <path>`).hideHelp());
}

/** Flag values as raw strings keyed by setting, so flags are parsed by the same code as variables. */
function flagValues(opts: Record<string, unknown>, cmd: Command): ConfigSources['flags'] {
  const out: ConfigSources['flags'] = {};
  for (const key of Object.keys(SETTINGS) as SettingKey[]) {
    const opt = cmd.options.find((o) => o.long === `--${SETTINGS[key].flag}`);
    const v = opt ? opts[opt.attributeName()] : undefined;
    if (v === undefined) continue;
    out[key] = v === true ? '1' : String(v);
  }
  return out;
}

function handleSignals(log: ReturnType<typeof createLogger>): AbortSignal {
  const stop = new AbortController();
  const onSignal = (name: string): void => {
    if (stop.signal.aborted) {
      log.warn(`${name} again: exiting now without draining`);
      process.exit(EXIT.interrupted);
    }
    log.info(`${name}: stopping… (press Ctrl+C again to exit at once)`);
    stop.abort();
  };
  process.on('SIGINT', () => onSignal('Ctrl+C'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  return stop.signal;
}

function die(message: string, code: number): never {
  process.stderr.write(`scylla-resize-test: ${redact(message)}\n`);
  process.exit(code);
}

async function main(argv: string[]): Promise<number> {
  const color = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  const log = createLogger();
  const program = new Command('scylla-resize-test')
    .description('Load a ScyllaDB Cloud cluster with writes and reads while resizing it between SCY_MIN_NODES and SCY_MAX_NODES, and report per resize phase what happened to throughput, latency, errors and acknowledged rows.')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ outputError: () => {} })
    // Flags after `demo` belong to the demo, not to the main command.
    .enablePositionalOptions()
    .addHelpText('after', EPILOGUE);
  addSettingsFileOption(addSettingOptions(program));

  let chosen: { kind: 'run' | 'demo'; config: Config } | null = null;
  program.action((opts: Record<string, unknown>, cmd: Command) => {
    if (opts.envFile !== undefined) {
      throw new ConfigError(`${OLD_SETTINGS_FILE_FLAG} is now --settings-file: Node reads ${OLD_SETTINGS_FILE_FLAG} itself (and stops when the file is missing), so it never reached this tool reliably`);
    }
    chosen = {
      kind: 'run',
      config: loadConfig({ env: process.env, flags: flagValues(opts, cmd), ...(opts.settingsFile ? { envFile: String(opts.settingsFile) } : {}), cwd: process.cwd() }),
    };
  });
  const demo = new Command('demo')
    .description('Start a small local Cassandra cluster and a local Cloud API, run the tool against them while the\ncluster grows and shrinks, print the summary and clean up. Needs Java 17 and Maven; no account.\nYour SCY_* environment and .env are ignored here; flags still apply.')
    .exitOverride()
    .configureOutput({ outputError: () => {} })
    .option('--nodes-heap-mb <mb>', 'Heap of each local Cassandra node', '512');
  addSettingOptions(demo);
  demo.action((opts: Record<string, unknown>, cmd: Command) => {
    chosen = {
      kind: 'demo',
      config: loadConfig({ env: DEMO_DEFAULTS, flags: flagValues(opts, cmd), envFile: null, cwd: process.cwd() }),
    };
  });
  program.addCommand(demo);
  let merging: { dirs: string[]; out?: string } | null = null;
  program.addCommand(mergeCommand((args) => (merging = args)));
  let compared: { base: string; next: string; tolerances: CompareTolerances } | null = null;
  const compare = new Command('compare')
    .description('Print, per phase kind, the change in throughput, latency, errors and resize time from BASE_RUN to NEW_RUN;\nexit 3 when a change is beyond a tolerance given below.')
    .argument('<BASE_RUN>', 'run folder of the baseline')
    .argument('<NEW_RUN>', 'run folder to judge against it')
    .option('--max-throughput-drop <pct>', 'fail when rows/s of a phase kind drops by more than this %', percent)
    .option('--max-p99-rise <pct>', 'fail when the write or read p99 of a phase kind rises by more than this %', percent)
    .option('--max-resize-time-rise <pct>', 'fail when the mean time of a resize kind rises by more than this %', percent)
    .exitOverride()
    .configureOutput({ outputError: () => {} })
    .addHelpText('after', COMPARE_EPILOGUE)
    .action((base: string, next: string, opts: { maxThroughputDrop?: number; maxP99Rise?: number; maxResizeTimeRise?: number }) => {
      compared = {
        base,
        next,
        tolerances: {
          ...(opts.maxThroughputDrop !== undefined ? { maxThroughputDropPct: opts.maxThroughputDrop } : {}),
          ...(opts.maxP99Rise !== undefined ? { maxP99RisePct: opts.maxP99Rise } : {}),
          ...(opts.maxResizeTimeRise !== undefined ? { maxResizeTimeRisePct: opts.maxResizeTimeRise } : {}),
        },
      };
    });
  program.addCommand(compare);

  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok;
      die(err.message.replace(/^error: /, ''), EXIT.badInput);
    }
    if (err instanceof ConfigError) die(err.message, EXIT.badInput);
    throw err;
  }
  const toMerge = merging as { dirs: string[]; out?: string } | null;
  if (toMerge) {
    try {
      return (await runMerge({ ...toMerge, tool: { name: 'scylla-resize-test', version: VERSION }, print: (t) => process.stdout.write(t + '\n'), color })).exitCode;
    } catch (err) {
      if (err instanceof ShardFolderError) die(err.message, EXIT.badInput);
      throw err;
    }
  }
  const comparing = compared as { base: string; next: string; tolerances: CompareTolerances } | null;
  if (comparing) {
    try {
      const c = compareRuns(readRunSummary('BASE_RUN', comparing.base), readRunSummary('NEW_RUN', comparing.next), comparing.tolerances);
      process.stdout.write(renderComparison(c, { base: 'base', next: 'new' }, color) + '\n');
      return c.breaches.length > 0 ? EXIT.thresholdFailed : EXIT.ok;
    } catch (err) {
      if (err instanceof CompareInputError) die(err.message, EXIT.badInput);
      throw err;
    }
  }
  const picked = chosen as { kind: 'run' | 'demo'; config: Config } | null;
  if (!picked) return EXIT.ok;
  const stopSignal = handleSignals(log);
  const deps = { clock: realClock, log, print: (t: string) => process.stdout.write(t + '\n'), color, stopSignal, version: VERSION };
  if (picked.kind === 'demo') {
    const heap = Number(program.commands[0]?.opts().nodesHeapMb ?? 512);
    return runDemo(picked.config, deps, { heapMb: heap });
  }
  return (await runTool(picked.config, deps)).exitCode;
}

main(process.argv).then(
  (code) => process.exit(code),
  (err: unknown) => die(`internal error: ${err instanceof Error ? err.message : String(err)}`, EXIT.internal),
);
