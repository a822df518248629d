// The Kubernetes manifests in deploy/kubernetes, checked offline: there is no API server on this machine, so
// they are validated against the Kubernetes OpenAPI schemas bundled in the kubernetes-models package (the same
// JSON schemas the API server enforces, per kind), and the tool's own parts are checked with the tool itself.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAllDocuments } from 'yaml';
import { ConfigMap, PersistentVolumeClaim, Pod } from 'kubernetes-models/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { loadConfig } from '../../src/config/load.js';
import { SETTINGS } from '../../src/config/settings.js';
import { writeShardRecord } from '../../src/shard/record.js';
import { STEADY1, samples, shardRecord } from '../helpers/shardRecords.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DIR = join(ROOT, 'deploy', 'kubernetes');
const CLI = join(ROOT, 'dist', 'src', 'cli.js');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const SECRET_NAME = 'scylla-resize-test-secrets';
const SECRET_ENVS = new Set<string>(Object.values(SETTINGS).filter((s) => 'secret' in s && s.secret).map((s) => s.env));
const SETTING_ENVS = new Set(Object.values(SETTINGS).map((s) => s.env as string));

/* eslint-disable @typescript-eslint/no-explicit-any -- manifests are untyped YAML; the schemas check their shape */
type Doc = any;

const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml'));
const docs: { file: string; doc: Doc }[] = files.flatMap((file) =>
  parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((d) => {
    if (d.errors.length > 0) throw new Error(`${file}: ${d.errors[0]!.message}`);
    return { file, doc: d.toJS() as Doc };
  }),
);
const byKind = (kind: string, name?: string): Doc[] => docs.map((d) => d.doc).filter((d) => d.kind === kind && (!name || d.metadata.name === name));
const settings = byKind('ConfigMap', 'scylla-resize-test-settings')[0]!;
const loaders = byKind('Job', 'scylla-resize-test-loaders')[0]!;
const merge = byKind('Job', 'scylla-resize-test-merge')[0]!;
const podSpecs = (): { where: string; spec: Doc }[] => [
  ...byKind('Job').map((j) => ({ where: `Job ${j.metadata.name}`, spec: j.spec.template.spec })),
  ...byKind('Pod').map((p) => ({ where: `Pod ${p.metadata.name}`, spec: p.spec })),
];
const toolContainers = (): { where: string; c: Doc }[] =>
  podSpecs().flatMap(({ where, spec }) => spec.containers.filter((c: Doc) => c.command?.[0] === 'npx').map((c: Doc) => ({ where, c })));

describe('deploy/kubernetes manifests', () => {
  test('every file parses and every object is valid against the Kubernetes schemas of its kind', () => {
    assert.ok(files.length >= 4 && docs.length >= 4, files.join(', '));
    const models: Record<string, new (o: Doc) => { validate(): void }> = {
      'v1/ConfigMap': ConfigMap,
      'v1/PersistentVolumeClaim': PersistentVolumeClaim,
      'v1/Pod': Pod,
      'batch/v1/Job': Job,
    };
    for (const { file, doc } of docs) {
      const Model = models[`${doc.apiVersion}/${doc.kind}`];
      assert.ok(Model, `${file}: ${doc.apiVersion} ${doc.kind} has no schema check here`);
      assert.doesNotThrow(() => new Model(doc).validate(), `${file}: ${doc.kind} ${doc.metadata?.name}`);
    }
    // and the validator does reject a broken object, so passing means something
    const broken = structuredClone(loaders);
    broken.spec.completions = 'three';
    assert.throws(() => new Job(broken).validate());
  });

  test('every setting the manifests pass is a real setting, and the ConfigMap holds no secret', () => {
    for (const key of Object.keys(settings.data)) {
      assert.ok(SETTING_ENVS.has(key), `ConfigMap key ${key} is not a setting of src/config/settings.ts`);
      assert.ok(!SECRET_ENVS.has(key), `${key} is a secret: it belongs in the Secret, not the ConfigMap`);
    }
    for (const { where, c } of toolContainers()) {
      for (const e of c.env ?? []) if (e.name.startsWith('SCY_')) assert.ok(SETTING_ENVS.has(e.name), `${where}: ${e.name} is not a setting`);
    }
  });

  test('secrets come only from the Secret: never a literal, never an argument', () => {
    const needing = toolContainers().filter(({ where }) => where.includes('loaders'));
    assert.equal(needing.length, 1);
    for (const { where, c } of toolContainers()) {
      for (const e of c.env ?? []) {
        if (!SECRET_ENVS.has(e.name)) continue;
        assert.equal(e.value, undefined, `${where}: ${e.name} must not be a literal`);
        assert.equal(e.valueFrom?.secretKeyRef?.name, SECRET_NAME, `${where}: ${e.name} comes from ${SECRET_NAME}`);
        assert.equal(e.valueFrom.secretKeyRef.key, e.name);
      }
      const words = [...c.command, ...(c.args ?? [])].join(' ');
      for (const s of Object.values(SETTINGS).filter((x) => 'secret' in x && x.secret)) {
        assert.ok(!words.includes(`--${s.flag}`) && !words.includes(s.env), `${where}: ${s.env} on the command line`);
      }
    }
    const loaderEnv = loaders.spec.template.spec.containers[0].env.map((e: Doc) => e.name);
    for (const s of SECRET_ENVS) assert.ok(loaderEnv.includes(s), `loaders get ${s} from the Secret`);
    assert.equal(byKind('Secret').length, 0, 'no Secret with values in the repository: the README creates it with kubectl');
  });

  test('an Indexed Job of N loaders, N as in SCY_SHARD, spread one per node, with resources and the shared volume', () => {
    const n = loadConfig({ env: { ...settings.data, SCY_CLOUD_TOKEN: 'tok-k8s-test-0', JOB_COMPLETION_INDEX: '0' }, flags: {}, envFile: null, cwd: '/' }).shard.count;
    assert.equal(loaders.spec.completionMode, 'Indexed');
    assert.equal(loaders.spec.completions, n);
    assert.equal(loaders.spec.parallelism, n);
    assert.match(settings.data.SCY_SHARD, /^\d+$/, 'the index comes from JOB_COMPLETION_INDEX');
    const spec = loaders.spec.template.spec;
    const anti = spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0];
    assert.equal(anti.topologyKey, 'kubernetes.io/hostname');
    for (const [k, v] of Object.entries(anti.labelSelector.matchLabels)) assert.equal(loaders.spec.template.metadata.labels[k], v);
    for (const { where, c } of toolContainers()) {
      assert.ok(c.resources?.requests?.cpu && c.resources?.limits?.memory, `${where}: resources`);
      assert.match(c.image, /^node:20(-|$)/, `${where}: the official Node image`);
      const mount = c.volumeMounts.find((m: Doc) => m.name === 'runs');
      assert.equal(mount.mountPath, settings.data.SCY_OUT_DIR, `${where}: run folders on the shared volume`);
    }
    // A pod sees every core of its node, so the thread count follows the CPU limit instead of the default.
    assert.equal(Number(settings.data.SCY_LOADER_THREADS), Number(loaders.spec.template.spec.containers[0].resources.limits.cpu));
    const claim = byKind('PersistentVolumeClaim')[0]!;
    assert.deepEqual(claim.spec.accessModes, ['ReadWriteMany']);
    for (const { spec: s } of podSpecs()) assert.equal(s.volumes.find((v: Doc) => v.name === 'runs').persistentVolumeClaim.claimName, claim.metadata.name);
  });

  test('each pod runs a command the CLI accepts with the ConfigMap\'s settings', () => {
    const work = mkdtempSync(join(tmpdir(), 'srt-k8s-'));
    // $(VAR) is expanded by Kubernetes from the container's environment; the volume is a local folder here.
    const expand = (arg: string): string => arg.replace(/\$\(([A-Z_]+)\)/g, (_, v: string) => settings.data[v]).replace(/^\/runs\b/, work);
    for (const { where, c } of toolContainers()) assert.deepEqual(c.command, ['npx', '--yes', `scylla-resize-test@${VERSION}`], `${where}: runs this version of the package`);

    // The loader command with every shard's index: the real CLI accepts the arguments and settings and gets as
    // far as connecting (exit 5: nothing listens on the port given here, and no traffic leaves 127.0.0.1).
    const local = { SCY_CONTACT_POINTS: '127.0.0.1', SCY_PORT: '9', SCY_CLOUD_API_BASE: 'http://127.0.0.1:9', SCY_OUT_DIR: work, SCY_DRAIN_SECS: '0' };
    const loaderArgs = loaders.spec.template.spec.containers[0].args.map(expand);
    for (let i = 0; i < loaders.spec.completions; i++) {
      const env = { PATH: process.env.PATH ?? '', ...settings.data, ...local, JOB_COMPLETION_INDEX: String(i), SCY_CLOUD_TOKEN: 'tok-k8s-test-1', SCY_PASSWORD: 'pw-k8s-test-1' };
      const r = spawnSync(process.execPath, [CLI, ...loaderArgs], { env, encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 5, `shard ${i}: ${r.stderr.slice(-500)}`);
      assert.match(r.stdout + r.stderr, /cannot connect to 127\.0\.0\.1:9/);
    }

    // The merge command over the run folder the loaders would leave.
    const runId = settings.data.SCY_RUN_ID;
    const n = loaders.spec.completions;
    return (async () => {
      for (let i = 0; i < n; i++) {
        const dir = join(work, runId, `shard-${i}`);
        mkdirSync(dir, { recursive: true });
        await writeShardRecord(dir, shardRecord({ index: i, count: n, runId, phases: [samples(i + 1, 50, STEADY1, 2000)] }));
      }
      const args = merge.spec.template.spec.containers[0].args.map(expand);
      const r = spawnSync(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', NO_COLOR: '1' }, encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`merged ${n} shards of run ${runId}`));
    })();
  });
});
