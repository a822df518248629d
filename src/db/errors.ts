import cassandra from 'cassandra-driver';
import type { ErrorClass } from '../metrics/types.js';

const { errors, types } = cassandra;
const codes = types.responseErrorCodes;

/** Classes that mean "the cluster is saturated or changing": the in-flight limit backs off on them. */
export const BACKOFF_CLASSES: ReadonlySet<ErrorClass> = new Set(['busy', 'no-host', 'overloaded', 'timeout', 'bootstrapping']);

/** Classes worth retrying: a write of the same idempotent batch can succeed later. */
export const RETRYABLE_CLASSES: ReadonlySet<ErrorClass> = new Set([
  'busy',
  'connection',
  'no-host',
  'overloaded',
  'timeout',
  'bootstrapping',
  'unavailable',
]);

// NoHostAvailable wraps one error per tried host; when every connection was simply full, the cause is the
// client's own pool ("busy"), which calls for backing off rather than reporting the cluster as down.
function classifyNoHost(err: InstanceType<typeof errors.NoHostAvailableError>): ErrorClass {
  const inner = Object.values(err.innerErrors ?? {}) as unknown[];
  if (inner.length > 0 && inner.every((e) => e instanceof errors.BusyConnectionError)) return 'busy';
  return 'no-host';
}

/** Sorts a driver error into the small taxonomy the counters, limiter and reports use. */
export function classifyError(err: unknown): ErrorClass {
  if (err instanceof errors.NoHostAvailableError) return classifyNoHost(err);
  if (err instanceof errors.BusyConnectionError) return 'busy';
  if (err instanceof errors.OperationTimedOutError) return 'timeout';
  // A connection that closed under a request (node killed or restarting): the write may or may not have landed.
  if ((err as { isSocketError?: boolean } | null)?.isSocketError) return 'connection';
  if (err instanceof errors.ResponseError) {
    switch (err.code) {
      case codes.overloaded:
        return 'overloaded';
      case codes.isBootstrapping:
        return 'bootstrapping';
      case codes.unavailableException:
        return 'unavailable';
      case codes.writeTimeout:
      case codes.readTimeout:
        return 'timeout';
      default:
        return 'other';
    }
  }
  return 'other';
}

/** One short line for the log, without stack or driver internals. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message.split('\n')[0]}`;
  return String(err);
}
