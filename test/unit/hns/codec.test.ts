import path from 'node:path';
import protobuf from 'protobufjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdminRequestCodec, CallRequestCodec, CallResponseCodec, EmptyCodec, JsonReplyCodec, messageCodec } from '../../../src/hns/codec.js';

// The reference: protobufjs reading the real hns.proto, so a field number or type drift between the
// .proto and the hand-written codec fails here.
let root: protobuf.Root;
beforeAll(() => {
  root = protobuf.loadSync(path.resolve(__dirname, '../../../hns-mock/proto/hns.proto'));
});

const type = (name: string): protobuf.Type => root.lookupType(`hnsmock.${name}`);

/** protobufjs uses snake_case field names from the .proto with keepCase, camelCase by default. */
function pbEncode(name: string, obj: Record<string, unknown>): Buffer {
  const t = type(name);
  return Buffer.from(t.encode(t.fromObject(obj)).finish());
}

function pbDecode(name: string, bytes: Uint8Array): Record<string, unknown> {
  const t = type(name);
  return t.toObject(t.decode(bytes), { defaults: true }) as Record<string, unknown>;
}

const HRESULTS = [0, 1, -1, -2143617023, -2147023728, -2147024809, 2147483647, -2147483648, 0x7f, 0x80, 300, -300];

describe('protobuf codec cross-checked with protobufjs on hns.proto', () => {
  it('encodes CallRequest byte-for-byte like protobufjs when every field is set', () => {
    const msg = { method: 'HcnCreateEndpoint', id: '00000000-0000-0000-0000-000000000000', json: '{"Name":"pod_ü_€_😀"}', networkId: '7d2e4c11-0b5a-4e63-9f0e-2c6a1b8d5e90' };
    expect(CallRequestCodec.encode(msg)).toEqual(pbEncode('CallRequest', msg));
  });

  it.each(HRESULTS.filter((h) => h !== 0))('encodes CallResponse hresult %d like protobufjs (negative int32 as a 10-byte varint)', (hresult) => {
    const msg = { hresult, json: '[]', errorRecord: '{"Success":false}' };
    const ours = CallResponseCodec.encode(msg);
    expect(ours).toEqual(pbEncode('CallResponse', msg));
    expect(pbDecode('CallResponse', ours)).toEqual(msg);
  });

  it('leaves hresult 0 off the wire (proto3 default), which protobufjs decodes as 0', () => {
    // protobufjs writes an explicitly set 0; proto3 says a default may be omitted. Both decode alike.
    const msg = { hresult: 0, json: '[]', errorRecord: '' };
    const ours = CallResponseCodec.encode(msg);
    expect(ours).toEqual(Buffer.from([0x12, 0x02, 0x5b, 0x5d]));
    expect(pbDecode('CallResponse', ours)).toEqual(msg);
    expect(CallResponseCodec.decode(pbEncode('CallResponse', msg))).toEqual(msg);
  });

  it('writes a negative int32 as 10 varint bytes', () => {
    const bytes = CallResponseCodec.encode({ hresult: -1, json: '', errorRecord: '' });
    // key (1 byte) + 10 bytes of varint
    expect(bytes.length).toBe(11);
    expect(bytes[10]).toBe(0x01);
  });

  it.each(HRESULTS)('decodes protobufjs output for hresult %d', (hresult) => {
    const bytes = pbEncode('CallResponse', { hresult, json: 'x', errorRecord: 'y' });
    expect(CallResponseCodec.decode(bytes)).toEqual({ hresult, json: 'x', errorRecord: 'y' });
  });

  it('leaves default values off the wire and decodes missing fields as defaults', () => {
    expect(CallRequestCodec.encode({ method: '', id: '', json: '', networkId: '' }).length).toBe(0);
    expect(CallResponseCodec.decode(new Uint8Array())).toEqual({ hresult: 0, json: '', errorRecord: '' });
    const onlyMethod = CallRequestCodec.encode({ method: 'HNSCall', id: '', json: '', networkId: '' });
    expect(pbDecode('CallRequest', onlyMethod)).toEqual({ method: 'HNSCall', id: '', json: '', networkId: '' });
  });

  it('round-trips AdminRequest, JsonReply and Empty against protobufjs', () => {
    const admin = { action: 'fault', json: '{"method":"*","hresult":"0x803b0013"}' };
    expect(AdminRequestCodec.encode(admin)).toEqual(pbEncode('AdminRequest', admin));
    expect(AdminRequestCodec.decode(pbEncode('AdminRequest', admin))).toEqual(admin);
    const reply = { json: '{"ok":true}' };
    expect(JsonReplyCodec.decode(pbEncode('JsonReply', reply))).toEqual(reply);
    expect(EmptyCodec.encode({}).length).toBe(0);
  });

  it('round-trips long strings whose length needs a multi-byte varint', () => {
    const json = 'x'.repeat(70_000);
    const msg = { method: 'HcnCreateNetwork', id: '', json, networkId: '' };
    expect(CallRequestCodec.decode(pbEncode('CallRequest', msg))).toEqual(msg);
    expect(pbDecode('CallRequest', CallRequestCodec.encode(msg))).toEqual(msg);
  });

  it('skips unknown fields of every wire type', () => {
    const w = protobuf.Writer.create();
    w.uint32((9 << 3) | 0).int64(-5); // unknown varint
    w.uint32((10 << 3) | 1).fixed64(7); // unknown fixed64
    w.uint32((11 << 3) | 2).string('ignored'); // unknown length-delimited
    w.uint32((12 << 3) | 5).fixed32(9); // unknown fixed32
    w.uint32((1 << 3) | 0).int32(-2143617022);
    w.uint32((2 << 3) | 2).string('ok');
    expect(CallResponseCodec.decode(w.finish())).toEqual({ hresult: -2143617022, json: 'ok', errorRecord: '' });
  });

  it('keeps the last value of a field given twice (protobuf merge rule)', () => {
    const w = protobuf.Writer.create();
    w.uint32((1 << 3) | 2).string('first');
    w.uint32((1 << 3) | 2).string('second');
    expect(JsonReplyCodec.decode(w.finish())).toEqual({ json: 'second' });
  });

  it('rejects truncated messages and wrong wire types', () => {
    const full = CallRequestCodec.encode({ method: 'HcnOpenNetwork', id: 'abc', json: '', networkId: '' });
    expect(() => CallRequestCodec.decode(full.subarray(0, full.length - 1))).toThrow(RangeError);
    expect(() => CallResponseCodec.decode(Uint8Array.from([0x08, 0xff]))).toThrow(/truncated/);
    expect(() => CallResponseCodec.decode(Uint8Array.from([(1 << 3) | 2, 0x00]))).toThrow(/wire type/);
    expect(() => CallResponseCodec.decode(Uint8Array.from([(5 << 3) | 3]))).toThrow(/wire type 3/);
    expect(() => CallResponseCodec.decode(Uint8Array.from([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]))).toThrow(/longer than 10/);
  });

  it('refuses to encode values outside the field type', () => {
    expect(() => CallResponseCodec.encode({ hresult: 0x80000000, json: '', errorRecord: '' })).toThrow(/int32/);
    expect(() => CallResponseCodec.encode({ hresult: 1.5, json: '', errorRecord: '' })).toThrow(/int32/);
    const codec = messageCodec<{ a: string }>('T', { a: [1, 'string'] });
    expect(() => codec.encode({ a: 5 as unknown as string })).toThrow(/string/);
  });
});
