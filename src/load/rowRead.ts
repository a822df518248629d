import cassandra from 'cassandra-driver';
import { makeId, type RunIdentity } from './rowContent.js';

/** Where an acknowledged row is asked for at consistency ALL before it is called lost: every replica answers. */
export const RECHECK_CONSISTENCY = cassandra.types.consistencies.all;

export interface RowSource {
  client: cassandra.Client;
  selectCql: string;
  run: RunIdentity;
}

/** The row with sequence number `seq` of the run, or null when the replicas asked have none. */
export async function readRow(src: RowSource, seq: number, consistency: number): Promise<cassandra.types.Row | null> {
  const rs = await src.client.execute(src.selectCql, [makeId(src.run, seq)], { prepare: true, consistency });
  return rs.first();
}
