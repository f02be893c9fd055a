// A hand-written protobuf (proto3) wire codec for the few flat messages of hns-mock/proto/hns.proto.
//
// Why not @grpc/proto-loader or protobufjs at run time: parsing a .proto costs tens of milliseconds
// on every plugin start, and these messages are only strings and one int32. The wire rules used
// (https://protobuf.dev/programming-guides/encoding/):
//   - a field is a varint key `(field_number << 3) | wire_type`, then its value;
//   - strings are wire type 2: a varint byte length, then UTF-8 bytes;
//   - int32 is wire type 0: a varint of the value sign-extended to 64 bits, so a negative int32
//     (every failing HRESULT) always takes 10 bytes;
//   - proto3 leaves fields at their default ('' or 0) off the wire;
//   - a decoder skips fields it does not know and keeps the last value of a repeated scalar.
// test/unit/hns/codec.test.ts cross-checks this against protobufjs loading hns.proto.

import type { AdminRequest, CallRequest, CallResponse } from './wire.js';

type FieldKind = 'string' | 'int32';

/** Field number and kind of each property of a message type. */
export type MessageSpec<T> = { readonly [K in keyof T]-?: readonly [number, T[K] extends string ? 'string' : 'int32'] };

/** A message type: every field is a string or an int32. */
export type Message<T> = { [K in keyof T]: string | number };

export interface MessageCodec<T> {
  encode(message: T): Buffer;
  /** Throws a RangeError on a truncated or malformed message. */
  decode(bytes: Uint8Array): T;
}

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

class Writer {
  private readonly chunks: Buffer[] = [];
  private readonly scratch = Buffer.alloc(10);

  /** Unsigned varint of a non-negative integer below 2^32. */
  uvarint(n: number): void {
    let i = 0;
    let v = n >>> 0;
    while (v > 0x7f) {
      this.scratch[i++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.scratch[i++] = v;
    this.chunks.push(Buffer.from(this.scratch.subarray(0, i)));
  }

  /** int32 as protobuf writes it: negative values are sign-extended to 64 bits (10 bytes). */
  int32(n: number): void {
    if (n >= 0) {
      this.uvarint(n);
      return;
    }
    const out = Buffer.alloc(10);
    let lo = n >>> 0; // low 32 bits, two's complement
    let hi = 0xffffffff; // high 32 bits of the sign extension
    for (let i = 0; i < 9; i++) {
      out[i] = (lo & 0x7f) | 0x80;
      // Shift the 64-bit (hi:lo) pair right by 7.
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi = hi >>> 7;
    }
    out[9] = lo & 0x01; // the 64th bit
    this.chunks.push(out);
  }

  bytes(b: Buffer): void {
    this.uvarint(b.length);
    this.chunks.push(b);
  }

  finish(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

class Reader {
  pos = 0;

  constructor(private readonly buf: Uint8Array) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  private byte(): number {
    const b = this.buf[this.pos];
    if (b === undefined) throw new RangeError(`protobuf: message truncated at byte ${this.pos}`);
    this.pos++;
    return b;
  }

  /** A varint's low 32 bits as an unsigned number; consumes the whole varint (at most 10 bytes). */
  varint32(): number {
    let result = 0;
    for (let i = 0; i < 10; i++) {
      const b = this.byte();
      // Bits beyond 32 fall off: `<<` works on 32-bit integers, which is exactly int32 truncation.
      if (i < 5) result |= (b & 0x7f) << (7 * i);
      if ((b & 0x80) === 0) return result >>> 0;
    }
    throw new RangeError(`protobuf: varint longer than 10 bytes at byte ${this.pos}`);
  }

  bytes(): Uint8Array {
    const len = this.varint32();
    const end = this.pos + len;
    if (end > this.buf.length) throw new RangeError(`protobuf: length ${len} at byte ${this.pos} runs past the end`);
    const out = this.buf.subarray(this.pos, end);
    this.pos = end;
    return out;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.varint32();
        return;
      case WIRE_FIXED64:
        this.advance(8);
        return;
      case WIRE_LEN:
        this.bytes();
        return;
      case WIRE_FIXED32:
        this.advance(4);
        return;
      default:
        // 3/4 are the deprecated groups, 6/7 do not exist: nothing in hns.proto produces them.
        throw new RangeError(`protobuf: unsupported wire type ${wireType} at byte ${this.pos}`);
    }
  }

  private advance(n: number): void {
    if (this.pos + n > this.buf.length) throw new RangeError(`protobuf: message truncated at byte ${this.pos}`);
    this.pos += n;
  }
}

export function messageCodec<T extends Message<T>>(name: string, spec: MessageSpec<T>): MessageCodec<T> {
  const entries = (Object.entries(spec) as [keyof T & string, readonly [number, FieldKind]][]).sort((a, b) => a[1][0] - b[1][0]);
  const byNumber = new Map(entries.map(([key, [no, kind]]) => [no, { key, kind }]));

  function empty(): T {
    const m: Record<string, string | number> = {};
    for (const [key, [, kind]] of entries) m[key] = kind === 'string' ? '' : 0;
    return m as T;
  }

  return {
    encode(message: T): Buffer {
      const w = new Writer();
      for (const [key, [no, kind]] of entries) {
        const v: unknown = message[key];
        if (kind === 'string') {
          if (typeof v !== 'string') throw new TypeError(`${name}.${key} must be a string`);
          if (v === '') continue;
          w.uvarint((no << 3) | WIRE_LEN);
          w.bytes(Buffer.from(v, 'utf8'));
        } else {
          if (typeof v !== 'number' || !Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) {
            throw new TypeError(`${name}.${key} must be an int32`);
          }
          if (v === 0) continue;
          w.uvarint((no << 3) | WIRE_VARINT);
          w.int32(v);
        }
      }
      return w.finish();
    },

    decode(bytes: Uint8Array): T {
      const r = new Reader(bytes);
      const m = empty() as Record<string, string | number>;
      while (!r.done) {
        const key = r.varint32();
        const no = key >>> 3;
        const wireType = key & 7;
        const field = byNumber.get(no);
        if (field === undefined) {
          r.skip(wireType);
          continue;
        }
        if (field.kind === 'string') {
          if (wireType !== WIRE_LEN) throw new RangeError(`protobuf: ${name}.${field.key} has wire type ${wireType}, want ${WIRE_LEN}`);
          m[field.key] = Buffer.from(r.bytes()).toString('utf8');
        } else {
          if (wireType !== WIRE_VARINT) throw new RangeError(`protobuf: ${name}.${field.key} has wire type ${wireType}, want ${WIRE_VARINT}`);
          m[field.key] = r.varint32() | 0;
        }
      }
      return m as T;
    },
  };
}

// The messages of hns.proto. Field numbers must match the .proto file (the codec test checks).

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export type Empty = {};

export interface JsonReply {
  json: string;
}

export const CallRequestCodec = messageCodec<CallRequest>('CallRequest', {
  method: [1, 'string'],
  id: [2, 'string'],
  json: [3, 'string'],
  networkId: [4, 'string'],
});

export const CallResponseCodec = messageCodec<CallResponse>('CallResponse', {
  hresult: [1, 'int32'],
  json: [2, 'string'],
  errorRecord: [3, 'string'],
});

export const AdminRequestCodec = messageCodec<AdminRequest>('AdminRequest', {
  action: [1, 'string'],
  json: [2, 'string'],
});

export const JsonReplyCodec = messageCodec<JsonReply>('JsonReply', { json: [1, 'string'] });

export const EmptyCodec = messageCodec<Empty>('Empty', {});

/** gRPC method paths of `service Hns` in package `hnsmock`. */
export const HNS_SERVICE_PATHS = {
  Call: '/hnsmock.Hns/Call',
  Dump: '/hnsmock.Hns/Dump',
  Admin: '/hnsmock.Hns/Admin',
} as const;
