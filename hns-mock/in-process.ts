// HcnApi straight onto a mock handler, without a socket: the HnsService (and anything above it) can
// run against the model in-process, with the same HCN call sequences, error mapping and timeouts
// as the gRPC backend (both are CallHcnApi; only the transport differs).

import { CallHcnApi, type CallHcnApiOptions, type CallTransport, TransportError } from '../src/hns/grpc.js';
import type { CallRequest, CallResponse, HnsCallHandler } from '../src/hns/wire.js';
import { MockUnreachableError } from './faults.js';

class InProcessTransport implements CallTransport {
  readonly address = 'in-process';

  constructor(private readonly handler: HnsCallHandler) {}

  async call(req: CallRequest, deadline: number): Promise<CallResponse> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TransportError('timeout', '')), Math.max(0, deadline - Date.now()));
    });
    try {
      // The handler keeps running after a timeout, as a server would; only the answer is dropped.
      return await Promise.race([this.handler.call(req), timeout]);
    } catch (e) {
      if (e instanceof MockUnreachableError) throw new TransportError('unreachable', e.message);
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    // Nothing to release: the handler belongs to the caller.
  }
}

/** HcnApi over an HnsCallHandler in this process (typically a MockHns). */
export class InProcessHcnApi extends CallHcnApi {
  constructor(handler: HnsCallHandler, options: CallHcnApiOptions = {}) {
    super(new InProcessTransport(handler), options);
  }
}
