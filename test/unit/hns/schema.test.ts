import { describe, expect, it } from 'vitest';
import {
  SchemaError,
  getCaseInsensitive,
  hostComputeQuery,
  isGuid,
  namespaceEndpointIds,
  networkType,
  parseEndpoint,
  parseFilter,
  parseIdList,
  parseJson,
  parseNamespace,
  parseNetwork,
  parseVersionEnvelope,
  policiesOfType,
  readEndpointDoc,
  readModifyRequest,
  readNetworkDoc,
  sameGuid,
} from '../../../src/hns/schema.js';

const NET_ID = '7D2E4C11-0B5A-4E63-9F0E-2C6A1B8D5E90';
const EP_ID = 'b39a0f52-6c1e-4d7a-8e25-91f0c3d4a6b7';

function schemaError(f: () => unknown): SchemaError {
  try {
    f();
  } catch (e) {
    if (e instanceof SchemaError) return e;
    throw e;
  }
  throw new Error('expected a SchemaError');
}

describe('GUIDs', () => {
  it('accepts the 36-character form in either case and compares case-insensitively', () => {
    expect(isGuid(NET_ID)).toBe(true);
    expect(isGuid(NET_ID.toLowerCase())).toBe(true);
    expect(isGuid(`{${NET_ID}}`)).toBe(false);
    expect(isGuid(NET_ID.replace(/-/g, ''))).toBe(false);
    expect(sameGuid(NET_ID, NET_ID.toLowerCase())).toBe(true);
    expect(sameGuid(NET_ID, EP_ID)).toBe(false);
    expect(sameGuid(undefined, undefined)).toBe(false);
  });
});

describe('network documents', () => {
  const answer = {
    ID: NET_ID,
    Name: 'k8s-pod-net',
    Type: 'L2Bridge',
    Ipams: [{ Type: 'Static', Subnets: [{ IpAddressPrefix: '10.244.3.0/24', Routes: [{ NextHop: '10.244.3.2', DestinationPrefix: '0.0.0.0/0', Metric: 0 }] }] }],
    Policies: [{ Type: 'NetAdapterName', Settings: { NetworkAdapterName: 'Ethernet 2' } }],
    MacPool: { Ranges: [{ StartMacAddress: '00-15-5D-52-C0-00', EndMacAddress: '00-15-5D-52-CF-FF' }] },
    Flags: 8,
    Health: { Extra: {} },
  };

  it('parses an HNS answer and keeps properties it does not model', () => {
    const n = parseNetwork(answer);
    expect(n.ID).toBe(NET_ID);
    expect(n.Ipams?.[0]?.Subnets?.[0]?.Routes?.[0]?.NextHop).toBe('10.244.3.2');
    expect((n as unknown as { Health: unknown }).Health).toEqual({ Extra: {} });
  });

  it('defaults a missing Type to NAT (HNS omits enum value 0 on read-back)', () => {
    const { Type: _omitted, ...nat } = answer;
    expect(networkType(parseNetwork(nat))).toBe('NAT');
    expect(networkType(parseNetwork(answer))).toBe('L2Bridge');
  });

  it('requires an ID in an answer but not in a request', () => {
    expect(schemaError(() => parseNetwork({ Name: 'x' })).kind).toBe('missing');
    expect(readNetworkDoc({ Name: 'x' }).ID).toBeUndefined();
  });

  it('names the path of a wrongly typed field', () => {
    const e = schemaError(() => parseNetwork({ ...answer, Ipams: [{ Subnets: [{ Routes: [{ Metric: 'low' }] }] }] }));
    expect(e.path).toBe('Ipams[0].Subnets[0].Routes[0].Metric');
    expect(e.kind).toBe('type');
  });

  it('flags a malformed GUID as a guid problem', () => {
    const e = schemaError(() => parseNetwork({ ...answer, ID: 'not-a-guid' }));
    expect(e).toMatchObject({ path: 'ID', kind: 'guid' });
  });

  it('treats null like an absent member (Go and HNS serialise empty slices as null)', () => {
    const n = parseNetwork({ ...answer, Policies: null, Dns: null });
    expect(n.Policies).toBeUndefined();
    expect('Dns' in n).toBe(false);
  });
});

describe('endpoint documents and policies', () => {
  const answer = {
    ID: EP_ID,
    Name: 'c1_k8s-pod-net',
    HostComputeNetwork: NET_ID,
    HostComputeNamespace: '11111111-2222-3333-4444-555555555555',
    IpConfigurations: [{ IpAddress: '10.244.3.17', PrefixLength: 24 }],
    MacAddress: '00-15-5D-52-C0-00',
    Policies: [
      { Type: 'OutBoundNAT', Settings: { Exceptions: ['10.244.0.0/16'] } },
      { Type: 'PortMapping', Settings: { Protocol: 6, InternalPort: 80, ExternalPort: 30080 } },
      { Type: 'PortMapping', Settings: { Protocol: 17, InternalPort: 53, ExternalPort: 30053 } },
      { Type: 'SomethingNewer', Settings: { Whatever: [1, 2] } },
    ],
  };

  it('parses an endpoint answer, keeping unknown policy types opaque', () => {
    const ep = parseEndpoint(answer);
    expect(ep.HostComputeNamespace).toBe('11111111-2222-3333-4444-555555555555');
    expect(ep.Policies?.[3]).toEqual({ Type: 'SomethingNewer', Settings: { Whatever: [1, 2] } });
  });

  it('gives typed settings per policy type', () => {
    const ep = parseEndpoint(answer);
    expect(policiesOfType(ep.Policies, 'PortMapping').map((p) => p.ExternalPort)).toEqual([30080, 30053]);
    expect(policiesOfType(ep.Policies, 'OutBoundNAT')[0]?.Exceptions).toEqual(['10.244.0.0/16']);
    expect(policiesOfType(ep.Policies, 'ACL')).toEqual([]);
  });

  it('type-checks the settings of known policy types', () => {
    const bad = { ...answer, Policies: [{ Type: 'PortMapping', Settings: { InternalPort: 70000 } }] };
    expect(schemaError(() => parseEndpoint(bad)).path).toBe('Policies[0].Settings.InternalPort');
    const badAcl = { ...answer, Policies: [{ Type: 'ACL', Settings: { Action: 'Maybe', Direction: 'In' } }] };
    expect(schemaError(() => parseEndpoint(badAcl)).path).toBe('Policies[0].Settings.Action');
  });

  it('requires a policy Type', () => {
    expect(schemaError(() => parseEndpoint({ ...answer, Policies: [{ Settings: {} }] })).path).toBe('Policies[0].Type');
  });

  it('requires ID and HostComputeNetwork in an answer', () => {
    const { HostComputeNetwork: _n, ...noNet } = answer;
    expect(schemaError(() => parseEndpoint(noNet)).path).toBe('HostComputeNetwork');
    expect(readEndpointDoc({ Name: 'x' }).Name).toBe('x');
  });

  it('rejects an IpConfiguration without an address', () => {
    expect(schemaError(() => parseEndpoint({ ...answer, IpConfigurations: [{ PrefixLength: 24 }] })).path).toBe('IpConfigurations[0].IpAddress');
  });
});

describe('namespace documents', () => {
  it('lists endpoint ids whatever the case of the Data key (ID, Id, id)', () => {
    const ns = parseNamespace({
      ID: '11111111-2222-3333-4444-555555555555',
      NamespaceId: 7,
      Type: 'Host',
      Resources: [
        { Type: 'Endpoint', Data: { ID: EP_ID } },
        { Type: 'Endpoint', Data: { Id: NET_ID } },
        { Type: 'endpoint', Data: { id: '99999999-2222-3333-4444-555555555555' } },
        { Type: 'Container', Data: { Id: 'abc' } },
        { Type: 'Endpoint', Data: { Id: 'garbage' } },
      ],
    });
    expect(namespaceEndpointIds(ns)).toEqual([EP_ID, NET_ID, '99999999-2222-3333-4444-555555555555']);
  });

  it('reads keys case-insensitively but prefers an exact match', () => {
    expect(getCaseInsensitive({ id: 1, ID: 2 }, 'ID')).toBe(2);
    expect(getCaseInsensitive({ iD: 3 }, 'Id')).toBe(3);
    expect(getCaseInsensitive({}, 'Id')).toBeUndefined();
  });
});

describe('queries, lists, modify requests and the version envelope', () => {
  it('builds hcsshim-style queries with a double-encoded Filter and no Flags when 0', () => {
    expect(hostComputeQuery({ Name: 'x' })).toEqual({ SchemaVersion: { Major: 2, Minor: 0 }, Filter: '{"Name":"x"}' });
    expect(hostComputeQuery(undefined, 1)).toEqual({ SchemaVersion: { Major: 2, Minor: 0 }, Flags: 1 });
    expect(parseFilter('{"VirtualNetwork":"x"}')).toEqual({ VirtualNetwork: 'x' });
    expect(parseFilter('')).toEqual({});
    expect(() => parseFilter('{')).toThrow(SchemaError);
    expect(() => parseFilter('[1]')).toThrow(SchemaError);
  });

  it('reads an enumerate answer: null and [] mean none; anything but GUIDs is refused', () => {
    expect(parseIdList(null)).toEqual([]);
    expect(parseIdList([])).toEqual([]);
    expect(parseIdList([NET_ID, EP_ID])).toEqual([NET_ID, EP_ID]);
    expect(() => parseIdList(['nope'])).toThrow(SchemaError);
    expect(() => parseIdList({})).toThrow(SchemaError);
  });

  it('reads a modify request frame', () => {
    expect(readModifyRequest({ ResourceType: 'Endpoint', RequestType: 'Add', Settings: { EndpointId: EP_ID } })).toEqual({
      ResourceType: 'Endpoint',
      RequestType: 'Add',
      Settings: { EndpointId: EP_ID },
    });
    expect(schemaError(() => readModifyRequest({ RequestType: 'Add' })).kind).toBe('missing');
  });

  it('reads the version envelope', () => {
    expect(parseVersionEnvelope({ Success: true, Error: '', Output: { Major: 15, Minor: 4 } })).toEqual({ Success: true, Error: '', Output: { Major: 15, Minor: 4 } });
    expect(parseVersionEnvelope({ Success: false, Error: 'nope' })).toEqual({ Success: false, Error: 'nope' });
    expect(() => parseVersionEnvelope({ Output: { Major: 1 } })).toThrow(SchemaError);
    expect(() => parseVersionEnvelope({ Success: true, Output: { Minor: 1 } })).toThrow(SchemaError);
  });

  it('turns a JSON syntax error into a SchemaError', () => {
    expect(() => parseJson('{', 'x')).toThrow(SchemaError);
    expect(parseJson('[1]', 'x')).toEqual([1]);
  });
});
