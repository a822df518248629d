import type cassandra from 'cassandra-driver';

// The original tool's 16-column row, kept so load is comparable with what users measured before.
export const COLUMNS = [
  'id',
  'create_time',
  'updated_time',
  'fname',
  'lname',
  'data_object_json',
  'i1',
  'i2',
  'i3',
  'i4',
  'i5',
  's1',
  's2',
  's3',
  's4',
  's5',
] as const;

export interface SchemaTarget {
  keyspace: string;
  table: string;
  localDc: string;
  rf: number;
}

export interface SchemaOutcome {
  createdKeyspace: boolean;
  createdTable: boolean;
}

export function tableDdl(t: SchemaTarget): string {
  return `CREATE TABLE IF NOT EXISTS ${t.keyspace}.${t.table} (
  id uuid PRIMARY KEY, create_time timestamp, updated_time timestamp, fname text, lname text,
  data_object_json text, i1 int, i2 int, i3 int, i4 int, i5 int, s1 text, s2 text, s3 text, s4 text, s5 text
) WITH default_time_to_live = 0`;
}

/** Creates what is missing and leaves existing keyspace and table (and their settings) alone. */
export async function ensureSchema(client: cassandra.Client, t: SchemaTarget): Promise<SchemaOutcome> {
  const ks = await client.execute('SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?', [t.keyspace]);
  const createdKeyspace = ks.rowLength === 0;
  if (createdKeyspace) {
    const replication = `{'class': 'NetworkTopologyStrategy', '${t.localDc.replace(/'/g, "''")}': ${t.rf}}`;
    await client.execute(`CREATE KEYSPACE IF NOT EXISTS ${t.keyspace} WITH replication = ${replication} AND durable_writes = true`);
  }
  const tb = await client.execute(
    'SELECT table_name FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?',
    [t.keyspace, t.table],
  );
  const createdTable = tb.rowLength === 0;
  if (createdTable) await client.execute(tableDdl(t));
  return { createdKeyspace, createdTable };
}

export const insertCql = (t: SchemaTarget): string =>
  `INSERT INTO ${t.keyspace}.${t.table} (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`;

export const selectCql = (t: SchemaTarget): string =>
  `SELECT ${COLUMNS.join(', ')} FROM ${t.keyspace}.${t.table} WHERE id = ?`;
