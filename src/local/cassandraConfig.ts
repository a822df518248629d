// Writes one node's cassandra.yaml and logback.xml and builds its JVM command line. Maven Central's cassandra-all
// has no conf/ or bin/, so this stands in for conf/cassandra.yaml, conf/jvm*-server.options and cassandra-env.sh.
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { writeFile, mkdir } from 'node:fs/promises';
import { jammJar } from './cassandraInstall.js';

export interface NodeLayout {
  index: number;
  address: string;
  jmxPort: number;
  /** Everything of this node lives below here. */
  dir: string;
  confDir: string;
  /** `cassandra.storagedir`: data, commitlog, hints, saved_caches and cdc_raw default to folders inside it. */
  dataDir: string;
  logDir: string;
}

export const SEED_ADDRESS = '127.0.0.1';
export const JMX_BASE_PORT = 7199;

/** Node `index` listens on 127.0.0.<index>. */
export function nodeAddress(index: number): string {
  return `127.0.0.${index}`;
}

export function nodeLayout(baseDir: string, index: number): NodeLayout {
  if (!Number.isInteger(index) || index < 1 || index > 254) throw new Error(`node index ${index} is outside 1..254`);
  const dir = join(baseDir, `node${index}`);
  return {
    index,
    address: nodeAddress(index),
    jmxPort: JMX_BASE_PORT + index,
    dir,
    confDir: join(dir, 'conf'),
    dataDir: join(dir, 'data'),
    logDir: join(dir, 'logs'),
  };
}

export interface YamlOptions {
  clusterName: string;
}

/**
 * A minimal cassandra.yaml for 5.0 on a small shared machine: every node uses the default ports on its own loopback
 * address, and caches, pools and memtables are sized for a 512 MB heap next to other nodes on 2 cores.
 */
export function cassandraYaml(node: NodeLayout, opts: YamlOptions): string {
  const q = (s: string): string => JSON.stringify(s); // a JSON string is a valid YAML double-quoted scalar
  return `# Written by scylla-resize-test for node ${node.index}; rewritten on every start.
cluster_name: ${q(opts.clusterName)}
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
endpoint_snitch: SimpleSnitch
num_tokens: 16
# Token allocation is tuned for this replication factor; the test keyspaces use RF 1.
allocate_tokens_for_local_replication_factor: 1
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "${SEED_ADDRESS}:7000"
listen_address: ${node.address}
rpc_address: ${node.address}
storage_port: 7000
native_transport_port: 9042
start_native_transport: true

authenticator: AllowAllAuthenticator
authorizer: AllowAllAuthorizer

commitlog_sync: periodic
commitlog_sync_period: 10000ms
commitlog_segment_size: 16MiB
commitlog_total_space: 256MiB

auto_snapshot: false
snapshot_before_compaction: false
incremental_backups: false
hinted_handoff_enabled: true

concurrent_reads: 8
concurrent_writes: 8
concurrent_counter_writes: 4
concurrent_materialized_view_writes: 2
concurrent_compactors: 1
memtable_heap_space: 96MiB
memtable_offheap_space: 96MiB
memtable_flush_writers: 1
key_cache_size: 16MiB
counter_cache_size: 0MiB
row_cache_size: 0MiB
file_cache_size: 32MiB
networking_cache_size: 16MiB
prepared_statements_cache_size: 8MiB
native_transport_max_threads: 32
`;
}

/** Cassandra logs to logs/system.log only; the "Starting listening for CQL clients" line there means ready. */
export function logbackXml(node: NodeLayout): string {
  return `<configuration scan="false">
  <appender name="SYSTEMLOG" class="ch.qos.logback.core.FileAppender">
    <file>${join(node.logDir, 'system.log')}</file>
    <encoder><pattern>%-5level [%thread] %date{ISO8601} %logger{0} - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="SYSTEMLOG"/></root>
</configuration>
`;
}

export async function writeNodeConfig(node: NodeLayout, opts: YamlOptions): Promise<void> {
  await mkdir(join(node.confDir, 'triggers'), { recursive: true });
  await mkdir(node.dataDir, { recursive: true });
  await mkdir(node.logDir, { recursive: true });
  await writeFile(join(node.confDir, 'cassandra.yaml'), cassandraYaml(node, opts));
  await writeFile(join(node.confDir, 'logback.xml'), logbackXml(node));
}

/** The module-system openings from Cassandra's conf/jvm17-server.options; Cassandra fails to start on 17 without them. */
export const JAVA17_MODULE_FLAGS: readonly string[] = [
  '--add-exports', 'java.base/jdk.internal.misc=ALL-UNNAMED',
  '--add-exports', 'java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED',
  '--add-exports', 'java.rmi/sun.rmi.registry=ALL-UNNAMED',
  '--add-exports', 'java.rmi/sun.rmi.server=ALL-UNNAMED',
  '--add-exports', 'java.sql/java.sql=ALL-UNNAMED',
  '--add-exports', 'java.base/java.lang.ref=ALL-UNNAMED',
  '--add-exports', 'jdk.unsupported/sun.misc=ALL-UNNAMED',
  '--add-exports', 'jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED',
  '--add-exports', 'jdk.attach/sun.tools.attach=ALL-UNNAMED',
  '--add-opens', 'java.base/java.lang.module=ALL-UNNAMED',
  '--add-opens', 'java.base/jdk.internal.loader=ALL-UNNAMED',
  '--add-opens', 'java.base/jdk.internal.ref=ALL-UNNAMED',
  '--add-opens', 'java.base/jdk.internal.reflect=ALL-UNNAMED',
  '--add-opens', 'java.base/jdk.internal.math=ALL-UNNAMED',
  '--add-opens', 'java.base/jdk.internal.module=ALL-UNNAMED',
  '--add-opens', 'java.base/jdk.internal.util.jar=ALL-UNNAMED',
  '--add-opens', 'jdk.management/com.sun.management.internal=ALL-UNNAMED',
  '--add-opens', 'java.base/sun.nio.ch=ALL-UNNAMED',
  '--add-opens', 'java.base/java.io=ALL-UNNAMED',
  '--add-opens', 'java.base/java.lang.reflect=ALL-UNNAMED',
  '--add-opens', 'jdk.compiler/com.sun.tools.javac=ALL-UNNAMED',
  '--add-opens', 'java.base/java.lang=ALL-UNNAMED',
  '--add-opens', 'java.base/java.util=ALL-UNNAMED',
];

export interface JvmOptions {
  libDir: string;
  heapMb: number;
}

/** Arguments after `java` that start one node in the foreground. */
export function nodeJvmArgs(node: NodeLayout, opts: JvmOptions): string[] {
  // Every node shares the same few cores; Cassandra sizes its thread pools from this instead of the machine.
  const cpus = Math.min(2, availableParallelism());
  return [
    `-Xms${opts.heapMb}m`,
    `-Xmx${opts.heapMb}m`,
    '-Xss256k',
    // G1 as in jvm17-server.options, but with one GC thread each, since several JVMs share the cores.
    '-XX:+UseG1GC',
    '-XX:ParallelGCThreads=1',
    '-XX:ConcGCThreads=1',
    '-XX:MaxTenuringThreshold=1',
    '-XX:G1RSetUpdatingPauseTimePercent=5',
    '-XX:MaxGCPauseMillis=300',
    '-XX:+UseTLAB',
    '-XX:+ResizeTLAB',
    // No hsperfdata mmap file in /tmp per JVM (and no pauses writing it), as Cassandra's own options choose.
    '-XX:+PerfDisableSharedMem',
    // A node that ran out of heap is broken; dying makes that visible instead of limping on.
    '-XX:+ExitOnOutOfMemoryError',
    '-ea',
    '-da:net.openhft...',
    '-Djdk.attach.allowAttachSelf=true',
    ...JAVA17_MODULE_FLAGS,
    '-Dio.netty.tryReflectionSetAccessible=true',
    '-Dio.netty.allocator.useCacheForAllThreads=true',
    '-Dio.netty.allocator.maxOrder=11',
    `-javaagent:${jammJar(opts.libDir)}`,
    '-Djava.net.preferIPv4Stack=true',
    `-Dcassandra.config=file://${join(node.confDir, 'cassandra.yaml')}`,
    `-Dlogback.configurationFile=${join(node.confDir, 'logback.xml')}`,
    `-Dcassandra.storagedir=${node.dataDir}`,
    `-Dcassandra.logdir=${node.logDir}`,
    '-Dcassandra-foreground=yes',
    `-Dcassandra.jmx.local.port=${node.jmxPort}`,
    // Cassandra warns every minute while its triggers directory is missing.
    `-Dcassandra.triggers_dir=${join(node.confDir, 'triggers')}`,
    `-Dcassandra.available_processors=${cpus}`,
    // Test-friendly start-up, all names checked in 5.0's CassandraRelevantProperties: bootstrap and decommission
    // each sleep ring_delay (default 30 s) for gossip to spread, which loopback does in a few gossip rounds.
    '-Dcassandra.ring_delay_ms=5000',
    '-Dcassandra.skip_wait_for_gossip_to_settle=0',
    '-Dcassandra.superuser_setup_delay_ms=0',
    // Their default RF 3 would make decommission refuse below three nodes.
    '-Dcassandra.system_distributed.default_rf=1',
    '-Dcassandra.system_traces.default_rf=1',
    // Bootstrap and decommission otherwise run a Paxos repair of every keyspace first; the load tester uses no LWT.
    '-Dcassandra.skip_paxos_repair_on_topology_change=true',
    '-cp',
    join(opts.libDir, '*'),
    'org.apache.cassandra.service.CassandraDaemon',
  ];
}
