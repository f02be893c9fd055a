// Turning failures into CNI errors that say what, which and why: the step of the verb, the HNS
// operation and object, the HRESULT in hex with its name, HNS's own message, and a hint.

import { CniError, ErrorCode } from '../cni/errors.js';
import { HnsError, HnsUnavailableError, hresultHint } from '../hns/api.js';
import { HnsProtocolError, NotFoundError } from '../hns/hns.js';

/** A failure inside one named step of a verb ("create endpoint", "attach to namespace" …). */
export class StepError extends Error {
  constructor(
    readonly step: string,
    override readonly cause: unknown,
  ) {
    super(`${step}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'StepError';
  }
}

/** Runs one step of a verb; an HNS or other failure comes out as a StepError naming it. */
export async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof CniError || e instanceof StepError) throw e;
    throw new StepError(name, e);
  }
}

/**
 * Promise.all for steps started together, but it waits for every one to settle (none is left
 * running when the verb moves on or exits) and then throws the first failure in list order, so
 * the error a caller sees does not depend on which call HNS answered first.
 */
export async function allInOrder<T extends readonly unknown[]>(steps: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const settled = await Promise.allSettled(steps);
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

export function bridgeErrorToCni(e: unknown): CniError | undefined {
  const stepName = e instanceof StepError ? e.step : undefined;
  const cause = e instanceof StepError ? e.cause : e;
  const prefix = stepName ? `${stepName}: ` : '';
  if (cause instanceof CniError) return stepName ? new CniError(cause.code, prefix + cause.message, cause.details) : cause;
  if (cause instanceof HnsUnavailableError) {
    return new CniError(ErrorCode.TryAgainLater, prefix + cause.message, `HNS ${cause.reason === 'timeout' ? 'did not answer in time' : 'could not be reached'} during ${cause.operation} ${cause.object}`);
  }
  if (cause instanceof HnsError) {
    const details = [`operation: ${cause.operation}`, `object: ${cause.object}`, `HRESULT: ${cause.hex}`];
    if (cause.hnsMessage) details.push(`HNS said: ${cause.hnsMessage}`);
    const hint = hresultHint(cause.hresult);
    if (hint) details.push(`hint: ${hint}`);
    if (cause.errorRecord) details.push(`ErrorRecord: ${cause.errorRecord}`);
    return new CniError(ErrorCode.HnsOperationFailed, prefix + cause.message, details.join('\n'));
  }
  if (cause instanceof NotFoundError || cause instanceof HnsProtocolError) {
    return new CniError(ErrorCode.HnsOperationFailed, prefix + cause.message);
  }
  if (stepName && cause instanceof Error) return new CniError(ErrorCode.Internal, `${prefix}internal error in hnsbridge: ${cause.message}`, 'this is a bug; the log has the stack trace');
  return undefined;
}
