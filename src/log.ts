import { redact } from './config/secret.js';

// Log lines carry a timestamp and a source tag (info to stdout, warnings and errors to stderr); everything passes
// through redact() so no secret can leak through a library's error text.
export type LogLevel = 'info' | 'warn' | 'error';

export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  /** A logger whose lines carry `[tag]`. */
  child(tag: string): Logger;
}

export type LogSink = (level: LogLevel, line: string) => void;

const consoleSink: LogSink = (level, line) => {
  if (level === 'info') process.stdout.write(line + '\n');
  else process.stderr.write(line + '\n');
};

export function createLogger(sink: LogSink = consoleSink, tag = '', now: () => number = Date.now): Logger {
  const emit = (level: LogLevel, msg: string): void => {
    const ts = new Date(now()).toISOString().slice(11, 19);
    const prefix = level === 'info' ? '' : `${level.toUpperCase()} `;
    sink(level, redact(`${ts} ${tag ? `[${tag}] ` : ''}${prefix}${msg}`));
  };
  return {
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m) => emit('error', m),
    child: (t) => createLogger(sink, tag ? `${tag}/${t}` : t, now),
  };
}

/** A logger that keeps lines in memory, for tests. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger((_level, line) => lines.push(line));
  return Object.assign(logger, { lines });
}
