import { mkdirSync } from 'node:fs';
import type cassandra from 'cassandra-driver';
import type { Config } from '../config/load.js';
import { runFolder } from '../config/shard.js';
import { describeError } from '../db/errors.js';
import { ensureSchema, type SchemaTarget } from '../db/schema.js';
import type { Logger } from '../log.js';

export interface Session {
  startedAt: Date;
  runDir: string;
  /** The main thread's client: schema, the driver's view of the topology, and with one loader thread the load. */
  client: cassandra.Client;
  target: SchemaTarget;
}

/** The run folder, a connected client and the schema; null (after saying why) when any of them cannot be had. */
export async function setUp(
  config: Config,
  startedAt: Date,
  connect: (config: Config) => Promise<cassandra.Client>,
  log: Logger,
): Promise<Session | null> {
  const runDir = runFolder(config, startedAt);
  mkdirSync(runDir, { recursive: true });
  let client: cassandra.Client;
  try {
    client = await connect(config);
  } catch (err) {
    log.error(`cannot connect to ${config.contactPoints?.join(',')}:${config.port} (DC ${config.localDc}): ${describeError(err)}`);
    return null;
  }
  const target = { keyspace: config.keyspace, table: config.table, localDc: config.localDc, rf: config.rf };
  try {
    const made = await ensureSchema(client, target);
    log.info(
      `schema: keyspace ${config.keyspace} ${made.createdKeyspace ? `created (NetworkTopologyStrategy, ${config.localDc}: ${config.rf})` : 'exists'}, ` +
        `table ${config.table} ${made.createdTable ? 'created' : 'exists'}`,
    );
  } catch (err) {
    log.error(`cannot create or check ${config.keyspace}.${config.table}: ${describeError(err)}`);
    await client.shutdown();
    return null;
  }
  return { startedAt, runDir, client, target };
}
