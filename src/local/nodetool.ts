// Runs Cassandra's nodetool straight from the cached classpath (there is no bin/nodetool in the Maven artifact)
// and parses `nodetool status`.
import { spawn } from 'node:child_process';
import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface RingEntry {
  address: string;
  status: 'UP' | 'DOWN';
  state: 'NORMAL' | 'JOINING' | 'LEAVING' | 'MOVING';
  hostId: string | null;
  load: string;
}

/** From Cassandra's conf/jvm17-clients.options: without them nodetool dies in FileUtils on Java 17. */
const CLIENT_MODULE_FLAGS: readonly string[] = [
  '-Djdk.attach.allowAttachSelf=true',
  '--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED',
  '--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED',
  '--add-exports=java.base/sun.nio.ch=ALL-UNNAMED',
  '--add-exports=java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED',
  '--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED',
  '--add-exports=java.rmi/sun.rmi.server=ALL-UNNAMED',
  '--add-exports=java.sql/java.sql=ALL-UNNAMED',
  '--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED',
  '--add-opens=java.base/java.lang.module=ALL-UNNAMED',
  '--add-opens=java.base/jdk.internal.loader=ALL-UNNAMED',
  '--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED',
  '--add-opens=java.base/jdk.internal.reflect=ALL-UNNAMED',
  '--add-opens=java.base/sun.nio.ch=ALL-UNNAMED',
  '--add-opens=java.base/java.io=ALL-UNNAMED',
  '--add-opens=java.base/java.util=ALL-UNNAMED',
  '--add-opens=java.base/java.lang=ALL-UNNAMED',
  '--add-opens=java.base/java.lang.reflect=ALL-UNNAMED',
  '--add-opens=java.base/java.net=ALL-UNNAMED',
];

// Without a config, logback prints DEBUG lines to stdout, which would land in the output we parse.
const TOOLS_LOGBACK = `<configuration>
  <appender name="STDERR" class="ch.qos.logback.core.ConsoleAppender">
    <target>System.err</target>
    <encoder><pattern>%-5level %msg%n</pattern></encoder>
  </appender>
  <root level="WARN"><appender-ref ref="STDERR"/></root>
</configuration>
`;

export class NodetoolError extends Error {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(message);
    this.name = 'NodetoolError';
  }
}

export interface NodetoolOptions {
  libDir: string;
  jmxPort: number;
  /** nodetool's history file and its logback config go here instead of ~/.cassandra. */
  workDir: string;
  timeoutMs: number;
}

/** Runs one nodetool command against the node whose JMX listens on 127.0.0.1:jmxPort; resolves with stdout. */
export async function nodetool(args: string[], opts: NodetoolOptions): Promise<string> {
  await mkdir(opts.workDir, { recursive: true });
  const logback = join(opts.workDir, 'logback-tools.xml');
  await writeFile(logback, TOOLS_LOGBACK);
  const jvm = [
    // A short-lived client: a small serial heap and C1 only start it in well under a second.
    '-Xmx128m',
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-Djava.net.preferIPv4Stack=true',
    `-Duser.home=${opts.workDir}`,
    `-Dlogback.configurationFile=${logback}`,
    ...CLIENT_MODULE_FLAGS,
    '-cp',
    join(opts.libDir, '*'),
    'org.apache.cassandra.tools.NodeTool',
    '-h',
    '127.0.0.1',
    '-p',
    String(opts.jmxPort),
    ...args,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('java', jvm, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve(stdout);
      const why = signal ? `timed out after ${opts.timeoutMs} ms` : `exit ${code}`;
      // nodetool reports failures as "error: ..." and refused commands as "nodetool: ...".
      const lines = `${stderr}\n${stdout}`.split('\n').map((l) => l.trim()).filter(Boolean);
      const firstError = lines.find((l) => /^(error|nodetool):/i.test(l)) ?? lines[0];
      reject(
        new NodetoolError(`nodetool ${args.join(' ')} on JMX port ${opts.jmxPort}: ${why}${firstError ? `: ${firstError}` : ''}`, `${stdout}${stderr}`),
      );
    });
  });
}

const STATUS = { U: 'UP', D: 'DOWN' } as const;
const STATE = { N: 'NORMAL', J: 'JOINING', L: 'LEAVING', M: 'MOVING' } as const;

// e.g. "UN  127.0.0.1  114.7 KiB  16  100.0%  8509c7bd-1a1b-45c1-bffc-90757b53e072  rack1"; Load is "?" while a
// node has not gossiped it yet, Owns is "?" with several keyspaces, and -pp adds ":7000" to the address.
const LINE = /^([UD])([NJLM])\s+(\S+)\s+(\?|\S+ \S*B|\S+)\s+(\d+)\s+(\S+)\s+([0-9a-f-]{36}|\?)\s/;

/** Parses `nodetool status` output; lines that are not node lines (headers, datacenter banners) are skipped. */
export function parseStatus(text: string): RingEntry[] {
  const entries: RingEntry[] = [];
  for (const raw of text.split('\n')) {
    const m = LINE.exec(raw.trim() + ' ');
    if (!m) continue;
    const [, s, st, address, load, , , hostId] = m;
    entries.push({
      address: address!.replace(/:\d+$/, ''),
      status: STATUS[s as keyof typeof STATUS],
      state: STATE[st as keyof typeof STATE],
      hostId: hostId === '?' ? null : hostId!,
      load: load!,
    });
  }
  return entries;
}
