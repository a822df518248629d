// Builds a validated Config from SCY_* values and the dependencies runTool needs, capturing everything the
// tool prints so tests can assert on it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realClock } from '../../src/clock.js';
import { loadConfig, type Config } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import type { RunDeps } from '../../src/run.js';

export function testConfig(env: Record<string, string>): Config {
  const outDir = mkdtempSync(join(tmpdir(), 'srt-run-'));
  return loadConfig({ env: { SCY_OUT_DIR: outDir, ...env }, flags: {}, envFile: null, cwd: outDir });
}

export interface CapturedDeps extends RunDeps {
  lines: string[];
  stop: AbortController;
}

/** Deps whose log and printed lines are kept (and echoed when TEST_VERBOSE is set). */
export function capturedDeps(extra: Partial<RunDeps> = {}): CapturedDeps {
  const lines: string[] = [];
  const keep = (line: string): void => {
    lines.push(line);
    if (process.env.TEST_VERBOSE) process.stdout.write(line + '\n');
  };
  const stop = new AbortController();
  return {
    clock: realClock,
    log: createLogger((_level, line) => keep(line)),
    print: keep,
    color: false,
    stopSignal: stop.signal,
    version: 'test',
    lines,
    stop,
    ...extra,
  };
}
