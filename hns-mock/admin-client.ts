// A client for hns-mock's admin RPCs (Dump, Admin), used by the CLI and by tests that run the mock
// in another process.

import * as grpc from '@grpc/grpc-js';
import { AdminRequestCodec, type Empty, EmptyCodec, HNS_SERVICE_PATHS, type JsonReply, JsonReplyCodec } from '../src/hns/codec.js';
import type { AdminRequest } from '../src/hns/wire.js';
import type { MockDump } from './service.js';

export interface AdminClientOptions {
  /** Per-request deadline in ms; default 10000. */
  timeoutMs?: number;
}

export class MockAdminClient {
  private readonly client: grpc.Client;
  private readonly timeoutMs: number;

  constructor(
    readonly address: string,
    options: AdminClientOptions = {},
  ) {
    this.client = new grpc.Client(address, grpc.credentials.createInsecure(), {
      'grpc.enable_channelz': 0,
      'grpc.enable_retries': 0,
      // A dump of a busy mock (thousands of endpoints, a long call log) can pass gRPC's 4 MiB default.
      'grpc.max_receive_message_length': 256 * 1024 * 1024,
    });
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  dump(): Promise<MockDump> {
    return this.unary<Empty>(HNS_SERVICE_PATHS.Dump, (m) => EmptyCodec.encode(m), {}).then((r) => JSON.parse(r.json) as MockDump);
  }

  /** Runs an admin action (see service.ts ADMIN_ACTIONS) and returns its JSON result. */
  async admin<T = unknown>(action: string, args: Record<string, unknown> = {}): Promise<T> {
    const reply = await this.unary<AdminRequest>(HNS_SERVICE_PATHS.Admin, (m) => AdminRequestCodec.encode(m), { action, json: JSON.stringify(args) });
    return JSON.parse(reply.json) as T;
  }

  close(): void {
    this.client.close();
  }

  private unary<Req>(path: string, serialize: (m: Req) => Buffer, req: Req): Promise<JsonReply> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(path, serialize, (b: Buffer) => JsonReplyCodec.decode(b), req, new grpc.Metadata({ waitForReady: false }), { deadline: Date.now() + this.timeoutMs }, (err, value) => {
        if (err) reject(new Error(`hns-mock at ${this.address}: ${err.details || err.message}`));
        else if (value === undefined) reject(new Error(`hns-mock at ${this.address}: empty answer`));
        else resolve(value);
      });
    });
  }
}
