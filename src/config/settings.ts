import {
  apiUrl,
  bool,
  cqlIdentifier,
  decimal,
  duration,
  hostList,
  httpToken,
  integer,
  nonEmptyText,
  oneOf,
  text,
  type Parser,
} from './parse.js';
import { runIdName, shardSpec } from './shardSpec.js';

// The one table of settings. Environment parsing, CLI flags, --help, .env.example and README's settings table
// are all generated from it, so they cannot drift apart.

export type Group = 'CQL' | 'Schema' | 'Cloud API' | 'Resize' | 'Load' | 'Run' | 'Thresholds';

export interface Setting<T> {
  env: `SCY_${string}`;
  /** Long flag name without the leading dashes. */
  flag: string;
  group: Group;
  parse: Parser<T>;
  /** Raw default as a user would type it; undefined means "not set". */
  default?: string;
  doc: string;
  secret?: boolean;
  /** Value placeholder in --help. */
  arg?: string;
  /** True for settings the original Python tool read (kept with the same name and meaning). */
  original?: boolean;
}

// Two constructors keep each default visible to the type system, so settings with a default are never undefined.
const d = <T>(setting: Setting<T> & { default: string }): Setting<T> & { default: string } => setting;
const s = <T>(setting: Setting<T> & { default?: undefined }): Setting<T> => setting;

export const CONSISTENCY_LEVELS = [
  'ANY',
  'ONE',
  'TWO',
  'THREE',
  'QUORUM',
  'ALL',
  'LOCAL_QUORUM',
  'EACH_QUORUM',
  'LOCAL_ONE',
] as const;
export type ConsistencyName = (typeof CONSISTENCY_LEVELS)[number];

export const SETTINGS = {
  contactPoints: s({ env: 'SCY_CONTACT_POINTS', flag: 'contact-points', group: 'CQL', parse: hostList, arg: 'hosts', original: true,
    doc: 'Comma-separated CQL contact points (host names or IPs). Required; no default (the original named one particular cluster).' }),
  port: d({ env: 'SCY_PORT', flag: 'port', group: 'CQL', parse: integer(1, 65535), default: '9042', arg: 'n', original: true,
    doc: 'CQL native port.' }),
  localDc: d({ env: 'SCY_LOCAL_DC', flag: 'local-dc', group: 'CQL', parse: nonEmptyText, default: 'AWS_US_EAST_1', arg: 'name', original: true,
    doc: "The cluster's local data center name; the keyspace is created in it and requests stay in it." }),
  username: d({ env: 'SCY_USERNAME', flag: 'username', group: 'CQL', parse: text, default: 'scylla', arg: 'name', original: true,
    doc: 'CQL user name; sent only when SCY_PASSWORD is set.' }),
  password: s({ env: 'SCY_PASSWORD', flag: 'password', group: 'CQL', parse: text, arg: 'secret', original: true, secret: true,
    doc: 'CQL password. No default (the original used a placeholder); when unset no authentication is sent. Never printed.' }),
  consistency: d({ env: 'SCY_CONSISTENCY', flag: 'consistency', group: 'CQL', parse: oneOf(CONSISTENCY_LEVELS), default: 'LOCAL_QUORUM', arg: 'level',
    doc: 'Consistency level of writes and reads (the original hard-coded LOCAL_QUORUM). ONE for ceiling tests.' }),
  requestTimeoutSecs: d({ env: 'SCY_REQUEST_TIMEOUT_SECS', flag: 'request-timeout-secs', group: 'CQL', parse: decimal(0.1, 600), default: '10', arg: 's',
    doc: 'Client-side timeout of one CQL request, in seconds.' }),
  tls: d({ env: 'SCY_TLS', flag: 'tls', group: 'CQL', parse: bool, default: '0', arg: '0|1',
    doc: "Connect to CQL over TLS, verifying the server's certificate." }),
  tlsCaFile: s({ env: 'SCY_TLS_CA_FILE', flag: 'tls-ca-file', group: 'CQL', parse: text, arg: 'path',
    doc: 'PEM file of the CA that signed the cluster certificate (with SCY_TLS=1); default: the system CAs.' }),

  keyspace: d({ env: 'SCY_KEYSPACE', flag: 'keyspace', group: 'Schema', parse: cqlIdentifier, default: 'demo_ks', arg: 'name', original: true,
    doc: 'Keyspace to write to; created (NetworkTopologyStrategy in the local DC) when missing.' }),
  table: d({ env: 'SCY_TABLE', flag: 'table', group: 'Schema', parse: cqlIdentifier, default: 'demo_table', arg: 'name', original: true,
    doc: "Table to write to; created with the original's 16 columns when missing." }),
  rf: d({ env: 'SCY_RF', flag: 'rf', group: 'Schema', parse: integer(1, 9), default: '3', arg: 'n',
    doc: 'Replication factor of the keyspace when this tool creates it. MIN and MAX nodes must be multiples of it.' }),

  cloudApiBase: d({ env: 'SCY_CLOUD_API_BASE', flag: 'cloud-api-base', group: 'Cloud API', parse: apiUrl, default: 'https://api.cloud.scylladb.com', arg: 'url', original: true,
    doc: 'Cloud API base URL (https; http only for a loopback host; no user, password, query or fragment).' }),
  cloudToken: s({ env: 'SCY_CLOUD_TOKEN', flag: 'cloud-token', group: 'Cloud API', parse: httpToken, arg: 'token', original: true, secret: true,
    doc: 'Personal access token with permission to resize (visible ASCII; it is sent in an HTTP header). Without token, account and cluster, only load runs. Never printed.' }),
  accountId: s({ env: 'SCY_ACCOUNT_ID', flag: 'account-id', group: 'Cloud API', parse: integer(1), arg: 'id', original: true,
    doc: 'Cloud account id.' }),
  clusterId: s({ env: 'SCY_CLUSTER_ID', flag: 'cluster-id', group: 'Cloud API', parse: integer(1), arg: 'id', original: true,
    doc: 'Cloud cluster id.' }),
  dcId: s({ env: 'SCY_DC_ID', flag: 'dc-id', group: 'Cloud API', parse: integer(1), arg: 'id',
    doc: 'Data center to resize, required only for a multi-DC cluster.' }),

  minNodes: d({ env: 'SCY_MIN_NODES', flag: 'min-nodes', group: 'Resize', parse: integer(1, 1000), default: '3', arg: 'n', original: true,
    doc: 'Low node count of the oscillation.' }),
  maxNodes: d({ env: 'SCY_MAX_NODES', flag: 'max-nodes', group: 'Resize', parse: integer(1, 1000), default: '6', arg: 'n', original: true,
    doc: 'High node count of the oscillation.' }),
  pollSecs: d({ env: 'SCY_POLL_SECS', flag: 'poll-secs', group: 'Resize', parse: decimal(0.05, 3600), default: '20', arg: 's', original: true,
    doc: 'How often the scaler polls the Cloud API.' }),
  stableSecs: d({ env: 'SCY_STABLE_SECS', flag: 'stable-secs', group: 'Resize', parse: decimal(0, 86400), default: '300', arg: 's', original: true,
    doc: 'Seconds of continuous health at a size before resizing to the other bound (also the first baseline).' }),
  dryRun: d({ env: 'SCY_DRY_RUN', flag: 'dry-run', group: 'Resize', parse: bool, default: '0', arg: '0|1',
    doc: 'Log the resize the scaler would submit and submit nothing.' }),

  writeWorkers: d({ env: 'SCY_WRITE_WORKERS', flag: 'write-workers', group: 'Load', parse: integer(0, 1024), default: '8', arg: 'n', original: true,
    doc: 'Writer loops (0 disables writes). All share one in-flight limit.' }),
  readWorkers: d({ env: 'SCY_READ_WORKERS', flag: 'read-workers', group: 'Load', parse: integer(0, 1024), default: '4', arg: 'n', original: true,
    doc: 'Reader lanes (0 disables reads). Reads follow one open-loop schedule; each lane may have 512 reads outstanding, so this bounds reads in flight.' }),
  readRps: d({ env: 'SCY_READ_RPS', flag: 'read-rps', group: 'Load', parse: decimal(0, 10_000_000), default: '1000', arg: 'n', original: true,
    doc: 'Total point reads per second across readers, paced open-loop (latency counts from the intended start).' }),
  writeRowsPerSec: s({ env: 'SCY_WRITE_ROWS_PER_SEC', flag: 'write-rows-per-sec', group: 'Load', parse: decimal(0.001, 100_000_000), arg: 'n',
    doc: "Offer writes open-loop at this many rows/s in total (one schedule, latency from each batch's due time, rows due but not sent yet shown as behind). Unset: closed loop, as fast as the in-flight limit allows." }),
  batchMin: d({ env: 'SCY_BATCH_MIN', flag: 'batch-min', group: 'Load', parse: integer(1, 10_000), default: '10', arg: 'n', original: true,
    doc: 'Fewest rows in one unlogged batch.' }),
  batchMax: d({ env: 'SCY_BATCH_MAX', flag: 'batch-max', group: 'Load', parse: integer(1, 10_000), default: '50', arg: 'n', original: true,
    doc: 'Most rows in one unlogged batch.' }),
  batchInflight: d({ env: 'SCY_BATCH_INFLIGHT', flag: 'batch-inflight', group: 'Load', parse: integer(1, 100_000), default: '96', arg: 'n', original: true,
    doc: 'Cap of the one in-flight batch limit shared by all writers (AIMD: cut on overload, grown on success).' }),
  batchesPerCycle: d({ env: 'SCY_BATCHES_PER_CYCLE', flag: 'batches-per-cycle', group: 'Load', parse: integer(1, 1_000_000), default: '256', arg: 'n', original: true,
    doc: 'Batches one writer submits per loop turn before yielding.' }),
  batchBiasHigh: d({ env: 'SCY_BATCH_BIAS_HIGH', flag: 'batch-bias-high', group: 'Load', parse: bool, default: '1', arg: '0|1', original: true,
    doc: 'Pick batch sizes uniformly in the upper half of [MIN, MAX] (fewer, larger requests).' }),
  loaderThreads: s({ env: 'SCY_LOADER_THREADS', flag: 'loader-threads', group: 'Load', parse: integer(1, 64), arg: 'n',
    doc: 'Worker threads that run the writers and readers, each with its own CQL client; default: every core this machine offers (at most 64) when writes are a closed loop, else, with SCY_WRITE_ROWS_PER_SEC set, the threads SCY_READ_RPS and SCY_WRITE_ROWS_PER_SEC need at half a core of driver work each (the start-up line says which). SCY_BATCH_INFLIGHT, SCY_READ_RPS and the verdict stay totals across threads; writer loops and reader lanes are split among them (at least one each).' }),
  idPoolSize: d({ env: 'SCY_ID_POOL_SIZE', flag: 'id-pool-size', group: 'Load', parse: integer(1000, 100_000_000), default: '2000000', arg: 'n',
    doc: 'Recent acknowledged ids kept for reads (bounded memory, like the original 2,000,000).' }),

  reportSecs: d({ env: 'SCY_REPORT_SECS', flag: 'report-secs', group: 'Run', parse: decimal(0.1, 3600), default: '5', arg: 's',
    doc: 'Status line and timeline interval.' }),
  durationSecs: s({ env: 'SCY_DURATION', flag: 'duration', group: 'Run', parse: duration, arg: 'time',
    doc: 'Stop after this long (e.g. 90s, 30m, 2h); default: run until Ctrl+C.' }),
  cycles: s({ env: 'SCY_CYCLES', flag: 'cycles', group: 'Run', parse: integer(1, 1_000_000), arg: 'n',
    doc: 'Stop after this many complete resize cycles (out and back, each with its stability window).' }),
  outDir: d({ env: 'SCY_OUT_DIR', flag: 'out-dir', group: 'Run', parse: nonEmptyText, default: 'runs', arg: 'dir',
    doc: 'Folder for this run\'s timeline.ndjson, summary.json and report.html (a sub-folder per run).' }),
  drainSecs: d({ env: 'SCY_DRAIN_SECS', flag: 'drain-secs', group: 'Run', parse: decimal(0, 600), default: '30', arg: 's',
    doc: 'Longest wait for in-flight requests after stop.' }),
  shard: d({ env: 'SCY_SHARD', flag: 'shard', group: 'Run', parse: shardSpec, default: '0/1', arg: 'i/N',
    doc: 'Split one run over N loader processes: this is shard i of N (N ≤ 64). N alone takes i from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job). Each shard offers 1/N of SCY_READ_RPS, SCY_WRITE_ROWS_PER_SEC and SCY_BATCH_INFLIGHT; only shard 0 resizes.' }),
  runId: s({ env: 'SCY_RUN_ID', flag: 'run-id', group: 'Run', parse: runIdName, arg: 'name',
    doc: 'Names a run split over shards (required when N > 1; the same new id on every shard): run folder <SCY_OUT_DIR>/<id>/shard-<i>, and the row ids of every shard derive from it.' }),
  metricsPort: s({ env: 'SCY_METRICS_PORT', flag: 'metrics-port', group: 'Run', parse: integer(1, 65535), arg: 'n',
    doc: 'Serve live Prometheus metrics at http://SCY_METRICS_HOST:PORT/metrics during the run; default: off.' }),
  metricsHost: d({ env: 'SCY_METRICS_HOST', flag: 'metrics-host', group: 'Run', parse: nonEmptyText, default: '127.0.0.1', arg: 'address',
    doc: 'Address the metrics endpoint binds (0.0.0.0 to let a Prometheus on another machine scrape it).' }),
  metricsLingerSecs: d({ env: 'SCY_METRICS_LINGER_SECS', flag: 'metrics-linger-secs', group: 'Run', parse: decimal(0, 3600), default: '60', arg: 's',
    doc: 'After the reports, keep the metrics endpoint up until Prometheus has scraped the final figures and the exit code: at most this long, at most twice the scrape interval seen and a second, not at all when nothing scraped it.' }),
  verifySample: d({ env: 'SCY_VERIFY_SAMPLE', flag: 'verify-sample', group: 'Run', parse: integer(0, 1_000_000_000), default: '1000000', arg: 'n',
    doc: 'After the drain, read back this many acknowledged rows (all when fewer; 0 skips the sweep).' }),

  maxWriteP99Ms: s({ env: 'SCY_MAX_WRITE_P99_MS', flag: 'max-write-p99-ms', group: 'Thresholds', parse: decimal(0), arg: 'ms',
    doc: 'Fail when the p99 batch write latency of any phase exceeds this.' }),
  maxReadP99Ms: s({ env: 'SCY_MAX_READ_P99_MS', flag: 'max-read-p99-ms', group: 'Thresholds', parse: decimal(0), arg: 'ms',
    doc: 'Fail when the p99 read response time (from intended start) of any phase exceeds this.' }),
  minThroughputRatio: s({ env: 'SCY_MIN_THROUGHPUT_RATIO', flag: 'min-throughput-ratio', group: 'Thresholds', parse: decimal(0, 10), arg: 'r',
    doc: 'Fail when any phase writes fewer rows/s than this share of the first steady phase (e.g. 0.7).' }),
  maxErrorRate: s({ env: 'SCY_MAX_ERROR_RATE', flag: 'max-error-rate', group: 'Thresholds', parse: decimal(0, 1), arg: 'r',
    doc: 'Fail when failed requests / all requests of any phase exceed this share (e.g. 0.01).' }),
  maxLostRows: d({ env: 'SCY_MAX_LOST_ROWS', flag: 'max-lost-rows', group: 'Thresholds', parse: integer(0), default: '0', arg: 'n',
    doc: 'Fail when more acknowledged rows than this are missing or corrupt.' }),
  maxResizeSecs: s({ env: 'SCY_MAX_RESIZE_SECS', flag: 'max-resize-secs', group: 'Thresholds', parse: decimal(0), arg: 's',
    doc: 'Fail when a resize takes longer than this.' }),
  abortOnFail: d({ env: 'SCY_ABORT_ON_FAIL', flag: 'abort-on-fail', group: 'Thresholds', parse: bool, default: '0', arg: '0|1',
    doc: 'Check thresholds at every report interval over the phases so far and stop the run at the first failure.' }),
} as const;

export type SettingKey = keyof typeof SETTINGS;
type ValueOf<K extends SettingKey> = (typeof SETTINGS)[K] extends Setting<infer T> ? T : never;
type HasDefault<K extends SettingKey> = (typeof SETTINGS)[K] extends { default: string } ? K : never;

/** Raw values of every setting, typed; settings without a default may be undefined. */
export type RawSettings = {
  [K in SettingKey as HasDefault<K>]: ValueOf<K>;
} & {
  [K in SettingKey as K extends HasDefault<K> ? never : K]?: ValueOf<K>;
};
