import { readFileSync } from 'node:fs';
import cassandra from 'cassandra-driver';
import type { Config } from '../config/load.js';

const { Client, auth, policies, types } = cassandra;

/**
 * The driver options every part of the tool uses. Retries are decided by the load loops (one place, with
 * backoff and accounting), so the driver's own retry policy is switched off.
 */
export function clientOptions(config: Config): cassandra.ClientOptions {
  const tls = config.tls
    ? { rejectUnauthorized: true, ...(config.tlsCaFile ? { ca: [readFileSync(config.tlsCaFile)] } : {}) }
    : undefined;
  return {
    contactPoints: config.contactPoints ?? [],
    localDataCenter: config.localDc,
    protocolOptions: { port: config.port },
    // The wire format is uncompressed: cassandra-driver has no lz4/snappy support.
    socketOptions: { readTimeout: Math.round(config.requestTimeoutSecs * 1000), connectTimeout: 10_000 },
    queryOptions: {
      consistency: consistencyCode(config.consistency),
      prepare: true,
      isIdempotent: true,
    },
    policies: {
      retry: new NoRetryPolicy(),
      loadBalancing: new policies.loadBalancing.TokenAwarePolicy(
        new policies.loadBalancing.DCAwareRoundRobinPolicy(config.localDc),
      ),
    },
    pooling: { coreConnectionsPerHost: { [types.distance.local]: 2, [types.distance.remote]: 1 } },
    ...(config.password ? { authProvider: new auth.PlainTextAuthProvider(config.username, config.password.reveal()) } : {}),
    ...(tls ? { sslOptions: tls } : {}),
  };
}

/** The driver's numeric code for a consistency level name such as LOCAL_QUORUM. */
export function consistencyCode(level: Config['consistency']): number {
  const map: Record<Config['consistency'], keyof typeof types.consistencies> = {
    ANY: 'any',
    ONE: 'one',
    TWO: 'two',
    THREE: 'three',
    QUORUM: 'quorum',
    ALL: 'all',
    LOCAL_QUORUM: 'localQuorum',
    EACH_QUORUM: 'eachQuorum',
    LOCAL_ONE: 'localOne',
  };
  return types.consistencies[map[level]];
}

class NoRetryPolicy extends policies.retry.RetryPolicy {
  override onReadTimeout(): cassandra.policies.retry.DecisionInfo {
    return this.rethrowResult();
  }
  override onWriteTimeout(): cassandra.policies.retry.DecisionInfo {
    return this.rethrowResult();
  }
  override onUnavailable(): cassandra.policies.retry.DecisionInfo {
    return this.rethrowResult();
  }
  override onRequestError(): cassandra.policies.retry.DecisionInfo {
    return this.rethrowResult();
  }
}

export async function connect(config: Config): Promise<cassandra.Client> {
  const client = new Client(clientOptions(config));
  await client.connect();
  return client;
}
