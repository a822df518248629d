// Fetches Cassandra's runtime classpath from Maven Central into a cache folder, once per version.
// Maven Central ships cassandra-all as a plain jar (no tarball, no bin/ scripts), so the classpath is all we need:
// the config files and the JVM command line are written by cassandraConfig.ts.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { copyFile, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../log.js';

/** Newest 5.0.x on Maven Central when this was written (checked against maven-metadata.xml: 5.0.0 … 5.0.9). */
export const DEFAULT_CASSANDRA_VERSION = '5.0.9';

/** A required command-line tool is absent; the message is one line that says how to get it. */
export class ToolMissingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolMissingError';
  }
}

/** The repository root, found from this file so it works from src/ (tsx) and from dist/src/ alike. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the repository root (no package.json above the local cluster code)');
    dir = up;
  }
  return dir;
}

export function defaultCacheDir(): string {
  return join(repoRoot(), '.cache', 'cassandra');
}

/** Java's major version, or ToolMissingError when there is no usable java on PATH. */
export function requireJava(): number {
  const hint = 'java not found: the local cluster needs Java 17 (apt-get install openjdk-17-jre-headless)';
  const r = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (r.error) throw new ToolMissingError(hint);
  const m = /version "(\d+)(?:\.(\d+))?/.exec(`${r.stderr}${r.stdout}`);
  const major = m ? (m[1] === '1' ? Number(m[2]) : Number(m[1])) : NaN;
  // Cassandra 5.0 runs on Java 11 and 17 only; the JVM flags written here are the Java 17 set.
  if (major !== 17) {
    throw new ToolMissingError(`java ${Number.isNaN(major) ? '(unknown version)' : major} found, but the local cluster needs Java 17 (apt-get install openjdk-17-jre-headless)`);
  }
  return major;
}

function requireMaven(): void {
  const r = spawnSync('mvn', ['-v'], { encoding: 'utf8' });
  if (r.error) throw new ToolMissingError('mvn not found: installing the local cluster needs Maven 3 (apt-get install maven)');
}

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

// The marker is written inside the fetched folder before it is renamed into place, so a lib folder that has it is whole.
const MARKER = '.complete';

function isComplete(libDir: string, version: string): boolean {
  return existsSync(join(libDir, MARKER)) && existsSync(join(libDir, `cassandra-all-${version}.jar`));
}

/**
 * Returns `<cacheDir>/<version>/lib`, fetching it first when absent. Idempotent, and safe when several processes
 * install at once: each resolves into its own folder and the first rename wins.
 */
export async function ensureInstalled(opts: { cacheDir?: string; version?: string; log?: Logger } = {}): Promise<string> {
  const version = opts.version ?? DEFAULT_CASSANDRA_VERSION;
  const versionDir = join(opts.cacheDir ?? defaultCacheDir(), version);
  const libDir = join(versionDir, 'lib');
  if (isComplete(libDir, version)) return libDir;

  requireJava();
  requireMaven();
  await mkdir(versionDir, { recursive: true });
  const work = join(versionDir, `fetch-${process.pid}`);
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  try {
    await copyFile(join(repoRoot(), 'local', 'cassandra', 'pom.xml'), join(work, 'pom.xml'));
    opts.log?.info(`fetching Cassandra ${version} classpath from Maven Central into ${libDir}`);
    const started = Date.now();
    const r = await run(
      'mvn',
      ['-B', '-q', 'dependency:copy-dependencies', '-DoutputDirectory=lib', '-DincludeScope=runtime', `-Dcassandra.version=${version}`],
      work,
    );
    const fetched = join(work, 'lib');
    if (r.code !== 0 || !existsSync(join(fetched, `cassandra-all-${version}.jar`))) {
      const last = r.output.split('\n').filter((l) => /ERROR|Could not/.test(l)).slice(-3).join(' | ');
      throw new Error(`maven could not fetch cassandra-all ${version} (exit ${r.code}): ${last || r.output.slice(-300)}`);
    }
    await writeFile(join(fetched, MARKER), `${new Date().toISOString()}\n`);
    if (!isComplete(libDir, version)) {
      await rm(libDir, { recursive: true, force: true });
      await rename(fetched, libDir).catch((err: unknown) => {
        if (!isComplete(libDir, version)) throw err;
      });
    }
    opts.log?.info(`Cassandra ${version}: ${readdirSync(libDir).length} jars in ${Math.round((Date.now() - started) / 1000)} s`);
    return libDir;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The jamm agent Cassandra's own launcher always loads: it measures object sizes for memtable and cache accounting. */
export function jammJar(libDir: string): string {
  const jar = readdirSync(libDir).find((f) => /^jamm-.*\.jar$/.test(f));
  if (!jar) throw new Error(`no jamm jar in ${libDir}: the Cassandra classpath is incomplete; delete ${dirname(libDir)} and retry`);
  return join(libDir, jar);
}
