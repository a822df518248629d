// The NDJSON timeline: one JSON object per line, appended through a stream so a slow disk never blocks the
// event loop that is timing requests.

import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

export interface NdjsonRecord {
  type: string;
  at: number;
  [field: string]: unknown;
}

export class NdjsonWriter {
  private readonly stream: WriteStream;
  private failure: Error | null = null;

  constructor(path: string) {
    this.stream = createWriteStream(path, { flags: 'a' });
    this.stream.on('error', (err) => {
      this.failure = err;
    });
  }

  /**
   * Never waits: a full stream keeps the line in its own ordered buffer. Records come per interval and per
   * event (a few a second), so that buffer stays small even when the disk is slow; what must not happen is the
   * load loop awaiting the disk.
   */
  write(obj: NdjsonRecord): void {
    if (this.failure) throw this.failure;
    this.stream.write(JSON.stringify(obj) + '\n');
  }

  /** Resolves once every line written so far is flushed (or rejects with the stream's error). */
  async close(): Promise<void> {
    if (this.failure) throw this.failure;
    const finished = once(this.stream, 'finish');
    this.stream.end();
    await finished;
  }
}

/** Reads a timeline back (for tests and for regenerating a report from a finished run). */
export async function readNdjson(path: string): Promise<NdjsonRecord[]> {
  const out: NdjsonRecord[] = [];
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() !== '') out.push(JSON.parse(line) as NdjsonRecord);
  }
  return out;
}
