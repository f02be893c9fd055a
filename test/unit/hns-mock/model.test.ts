import { beforeEach, describe, expect, it } from 'vitest';
import { HnsModel } from '../../../hns-mock/model.js';
import {
  HRESULT,
  SV,
  ZERO,
  attach,
  createEndpoint,
  createNetwork,
  endpointSettings,
  enumerate,
  failsWith,
  hcn,
  networkSettings,
  ok,
  portMapping,
  subnet,
} from './helpers.js';

let m: HnsModel;
beforeEach(() => {
  m = new HnsModel();
});

const GUID_UPPER = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;

describe('calls in general', () => {
  it('answers an unknown function with E_NOTIMPL', () => {
    failsWith(hcn(m, 'HcnCreateLoadBalancer'), HRESULT.E_NOTIMPL);
  });

  it('fails with an ErrorRecord of HNS shape: Success false, text with a trailing space, unsigned ErrorCode', () => {
    const res = hcn(m, 'HcnOpenNetwork', { id: '11111111-1111-1111-1111-111111111111' });
    expect(res.hresult).toBe(HRESULT.HCN_E_NETWORK_NOT_FOUND | 0);
    const record = failsWith(res, HRESULT.HCN_E_NETWORK_NOT_FOUND);
    expect(record.Error).toBe('The network was not found ');
    expect(res.errorRecord).toContain('"ErrorCode":2151350273');
  });

  it('rejects an id argument that is not a GUID with HCN_E_GUID_CONVERSION_FAILURE', () => {
    failsWith(hcn(m, 'HcnOpenEndpoint', { id: 'abc' }), HRESULT.HCN_E_GUID_CONVERSION_FAILURE);
    failsWith(hcn(m, 'HcnDeleteNetwork', { id: '' }), HRESULT.HCN_E_GUID_CONVERSION_FAILURE);
  });

  it('closes any handle successfully', () => {
    expect(ok(hcn(m, 'HcnCloseNetwork', { id: ZERO }))).toBeUndefined();
  });
});

describe('networks', () => {
  it('assigns an upper-case random ID for a zero or empty Id and reads the network back', () => {
    const a = createNetwork(m);
    const b = ok<{ ID: string }>(hcn(m, 'HcnCreateNetwork', { id: '', json: networkSettings() }));
    expect(a.ID).toMatch(GUID_UPPER);
    expect(b.ID).not.toBe(a.ID);
    const props = ok(hcn(m, 'HcnQueryNetworkProperties', { id: a.ID.toLowerCase(), json: { SchemaVersion: SV } }));
    expect(props).toMatchObject({ ID: a.ID, Name: 'k8s-pod-net', Type: 'L2Bridge' });
  });

  it('honours a caller-chosen Id and refuses a second network with it (HCN_E_NETWORK_ALREADY_EXISTS)', () => {
    const id = '5f0b1190-63be-4e0c-b974-bd0f55675a42';
    expect(ok<{ ID: string }>(hcn(m, 'HcnCreateNetwork', { id, json: networkSettings() })).ID).toBe(id.toUpperCase());
    failsWith(hcn(m, 'HcnCreateNetwork', { id: id.toUpperCase(), json: networkSettings() }), HRESULT.HCN_E_NETWORK_ALREADY_EXISTS);
  });

  it('refuses an ID in the settings that differs from the Id argument (E_INVALIDARG)', () => {
    failsWith(hcn(m, 'HcnCreateNetwork', { id: ZERO, json: networkSettings({ ID: '5f0b1190-63be-4e0c-b974-bd0f55675a42' }) }), HRESULT.E_INVALIDARG);
  });

  it('allows duplicate names, like real HNS', () => {
    const a = createNetwork(m);
    const b = createNetwork(m);
    expect(enumerate(m, 'Networks', { Name: 'k8s-pod-net' })).toEqual([a.ID, b.ID]);
  });

  it('omits Type on read-back of a NAT network (enum value 0)', () => {
    const nat = createNetwork(m, { Type: 'NAT', Ipams: undefined, Policies: undefined });
    expect('Type' in nat).toBe(false);
    const defaulted = createNetwork(m, { Type: undefined, Ipams: undefined, Policies: undefined });
    expect('Type' in defaulted).toBe(false);
  });

  it('marks networks non-persistent (Flags | 8) unless created with EnablePersistent (16)', () => {
    expect(createNetwork(m).Flags).toBe(8);
    expect(createNetwork(m, { Flags: 1024 }).Flags).toBe(1024 | 8);
    expect(createNetwork(m, { Flags: 16 }).Flags).toBe(16);
    expect(createNetwork(m, { Flags: 16 | 8 }).Flags).toBe(24);
  });

  it('requires SchemaVersion 2.x (E_INVALIDARG)', () => {
    failsWith(hcn(m, 'HcnCreateNetwork', { json: networkSettings({ SchemaVersion: undefined }) }), HRESULT.E_INVALIDARG);
    failsWith(hcn(m, 'HcnCreateNetwork', { json: networkSettings({ SchemaVersion: { Major: 1, Minor: 0 } }) }), HRESULT.E_INVALIDARG);
  });

  it('refuses invalid JSON, an empty document and a non-object with HCN_E_INVALID_JSON', () => {
    failsWith(hcn(m, 'HcnCreateNetwork', { json: '{"Name":' }), HRESULT.HCN_E_INVALID_JSON);
    failsWith(hcn(m, 'HcnCreateNetwork', { json: '' }), HRESULT.HCN_E_INVALID_JSON);
    failsWith(hcn(m, 'HcnCreateNetwork', { json: '[]' }), HRESULT.HCN_E_INVALID_JSON);
  });

  it('refuses a wrongly typed field with HCN_E_INVALID_JSON, naming it', () => {
    const record = failsWith(hcn(m, 'HcnCreateNetwork', { json: networkSettings({ Flags: 'persistent' }) }), HRESULT.HCN_E_INVALID_JSON);
    expect(record.Detail).toContain('Flags');
  });

  it('refuses an unknown network Type (HCN_E_INVALID_NETWORK_TYPE)', () => {
    failsWith(hcn(m, 'HcnCreateNetwork', { json: networkSettings({ Type: 'L3Magic' }) }), HRESULT.HCN_E_INVALID_NETWORK_TYPE);
  });

  it('refuses an unknown Ipam Type (HCN_E_INVALID_NETWORK)', () => {
    failsWith(hcn(m, 'HcnCreateNetwork', { json: networkSettings({ Ipams: [{ Type: 'Magic', Subnets: [] }] }) }), HRESULT.HCN_E_INVALID_NETWORK);
  });

  it('refuses an unknown policy type (HCN_E_INVALID_POLICY_TYPE)', () => {
    failsWith(hcn(m, 'HcnCreateNetwork', { json: networkSettings({ Policies: [{ Type: 'NoSuchPolicy', Settings: {} }] }) }), HRESULT.HCN_E_INVALID_POLICY_TYPE);
  });

  it('refuses a policy type the configured HNS version does not know yet (NetworkACL before 15.0)', () => {
    const acl = { Type: 'NetworkACL', Settings: { Action: 'Allow', Direction: 'In', Protocols: '6', LocalPorts: '80' } };
    m.setVersion({ Major: 14, Minor: 0 });
    failsWith(hcn(m, 'HcnCreateNetwork', { json: networkSettings({ Policies: [acl] }) }), HRESULT.HCN_E_INVALID_POLICY_TYPE);
    m.setVersion({ Major: 15, Minor: 0 });
    ok(hcn(m, 'HcnCreateNetwork', { json: networkSettings({ Policies: [acl] }) }));
  });

  it('refuses a NetAdapterName naming an adapter the host lacks (HCN_E_ADAPTER_NOT_FOUND), matching names case-insensitively', () => {
    const on = (name: string) => networkSettings({ Policies: [{ Type: 'NetAdapterName', Settings: { NetworkAdapterName: name } }] });
    failsWith(hcn(m, 'HcnCreateNetwork', { json: on('Ethernet 2') }), HRESULT.HCN_E_ADAPTER_NOT_FOUND);
    ok(hcn(m, 'HcnCreateNetwork', { json: on('ETHERNET') }));
    m.addAdapter('Ethernet 2');
    ok(hcn(m, 'HcnCreateNetwork', { json: on('Ethernet 2') }));
  });

  it('refuses a NetAdapterName policy without a name (HCN_E_INVALID_POLICY) and a mistyped setting', () => {
    failsWith(hcn(m, 'HcnCreateNetwork', { json: networkSettings({ Policies: [{ Type: 'NetAdapterName', Settings: {} }] }) }), HRESULT.HCN_E_INVALID_POLICY);
    failsWith(hcn(m, 'HcnCreateNetwork', { json: networkSettings({ Policies: [{ Type: 'NetAdapterName', Settings: { NetworkAdapterName: 5 } }] }) }), HRESULT.HCN_E_INVALID_POLICY);
  });

  it('refuses a malformed subnet prefix (HCN_E_INVALID_PREFIX)', () => {
    for (const prefix of ['10.244.3.0', '10.244.3.0/33', '10.244.300.0/24', 'fd00::/129']) {
      failsWith(hcn(m, 'HcnCreateNetwork', { json: networkSettings({ Ipams: [{ Type: 'Static', Subnets: [subnet(prefix, '10.244.3.2')] }] }) }), HRESULT.HCN_E_INVALID_PREFIX);
    }
  });

  it('refuses a subnet without a prefix or overlapping another (HCN_E_INVALID_SUBNET)', () => {
    failsWith(hcn(m, 'HcnCreateNetwork', { json: networkSettings({ Ipams: [{ Type: 'Static', Subnets: [{ Routes: [] }] }] }) }), HRESULT.HCN_E_INVALID_SUBNET);
    const overlapping = [subnet('10.244.0.0/16', '10.244.0.1'), subnet('10.244.3.0/24', '10.244.3.2')];
    failsWith(hcn(m, 'HcnCreateNetwork', { json: networkSettings({ Ipams: [{ Type: 'Static', Subnets: overlapping }] }) }), HRESULT.HCN_E_INVALID_SUBNET);
  });

  it('refuses a subnet whose routes lack a default route or a NextHop (E_INVALIDARG, as hcsshim does)', () => {
    const withRoutes = (routes: unknown[]) => networkSettings({ Ipams: [{ Type: 'Static', Subnets: [{ IpAddressPrefix: '10.244.3.0/24', Routes: routes }] }] });
    failsWith(hcn(m, 'HcnCreateNetwork', { json: withRoutes([]) }), HRESULT.E_INVALIDARG);
    failsWith(hcn(m, 'HcnCreateNetwork', { json: withRoutes([{ NextHop: '10.244.3.2', DestinationPrefix: '10.0.0.0/8' }]) }), HRESULT.E_INVALIDARG);
    failsWith(hcn(m, 'HcnCreateNetwork', { json: withRoutes([{ DestinationPrefix: '0.0.0.0/0' }]) }), HRESULT.E_INVALIDARG);
    ok(hcn(m, 'HcnCreateNetwork', { json: withRoutes([{ NextHop: '10.244.3.2', DestinationPrefix: '0.0.0.0/0' }]) }));
  });

  it('refuses a malformed route NextHop (HCN_E_INVALID_IP) and a malformed DNS server (HCN_E_INVALID_IP)', () => {
    failsWith(hcn(m, 'HcnCreateNetwork', { json: networkSettings({ Ipams: [{ Type: 'Static', Subnets: [subnet('10.244.3.0/24', '10.244.3.x')] }] }) }), HRESULT.HCN_E_INVALID_IP);
    failsWith(hcn(m, 'HcnCreateNetwork', { json: networkSettings({ Dns: { ServerList: ['10.96.0.10', 'dns.local'] } }) }), HRESULT.HCN_E_INVALID_IP);
  });

  it('takes a dual-stack network with a v6 default route', () => {
    const n = createNetwork(m, { Ipams: [{ Type: 'Static', Subnets: [subnet('10.244.3.0/24', '10.244.3.2'), subnet('fd00:3::/64', 'fd00:3::2')] }] });
    expect(n.ID).toMatch(GUID_UPPER);
  });

  it('assigns each network its own default MacPool and refuses a malformed one (E_INVALIDARG)', () => {
    const a = createNetwork(m) as unknown as { MacPool: { Ranges: { StartMacAddress: string; EndMacAddress: string }[] } };
    const b = createNetwork(m) as unknown as { MacPool: { Ranges: { StartMacAddress: string; EndMacAddress: string }[] } };
    expect(a.MacPool.Ranges).toEqual([{ StartMacAddress: '00-15-5D-52-C0-00', EndMacAddress: '00-15-5D-52-CF-FF' }]);
    expect(b.MacPool.Ranges[0]?.StartMacAddress).not.toBe(a.MacPool.Ranges[0]?.StartMacAddress);
    failsWith(hcn(m, 'HcnCreateNetwork', { json: networkSettings({ MacPool: { Ranges: [{ StartMacAddress: '00:15:5D:00:00:00', EndMacAddress: '00-15-5D-00-00-FF' }] } }) }), HRESULT.E_INVALIDARG);
    failsWith(hcn(m, 'HcnCreateNetwork', { json: networkSettings({ MacPool: { Ranges: [{ StartMacAddress: '00-15-5D-00-00-FF', EndMacAddress: '00-15-5D-00-00-00' }] } }) }), HRESULT.E_INVALIDARG);
  });

  it('refuses to delete a network that still has endpoints (HCN_E_ENTITY_HAS_REFERENCES), then deletes it', () => {
    const n = createNetwork(m);
    const e = createEndpoint(m, n.ID);
    failsWith(hcn(m, 'HcnDeleteNetwork', { id: n.ID }), HRESULT.HCN_E_ENTITY_HAS_REFERENCES);
    ok(hcn(m, 'HcnDeleteEndpoint', { id: e.ID }));
    ok(hcn(m, 'HcnDeleteNetwork', { id: n.ID.toLowerCase() }));
    failsWith(hcn(m, 'HcnQueryNetworkProperties', { id: n.ID }), HRESULT.HCN_E_NETWORK_NOT_FOUND);
  });

  it('answers a missing network on open, query, modify and delete with HCN_E_NETWORK_NOT_FOUND', () => {
    const id = '22222222-2222-2222-2222-222222222222';
    for (const method of ['HcnOpenNetwork', 'HcnQueryNetworkProperties', 'HcnModifyNetwork', 'HcnDeleteNetwork']) {
      failsWith(hcn(m, method, { id }), HRESULT.HCN_E_NETWORK_NOT_FOUND);
    }
  });

  it('modifies network policies and DNS', () => {
    const n = createNetwork(m);
    const route = { Type: 'HostRoute', Settings: {} };
    ok(hcn(m, 'HcnModifyNetwork', { id: n.ID, json: { ResourceType: 'Policy', RequestType: 'Add', Settings: { Policies: [route] } } }));
    failsWith(hcn(m, 'HcnModifyNetwork', { id: n.ID, json: { ResourceType: 'Policy', RequestType: 'Add', Settings: { Policies: [route] } } }), HRESULT.HCN_E_POLICY_ALREADY_EXISTS);
    ok(hcn(m, 'HcnModifyNetwork', { id: n.ID, json: { ResourceType: 'DNS', RequestType: 'Update', Settings: { ServerList: ['10.96.0.10'] } } }));
    const props = ok<{ Policies: { Type: string }[]; Dns: unknown }>(hcn(m, 'HcnQueryNetworkProperties', { id: n.ID }));
    expect(props.Policies.map((p) => p.Type)).toEqual(['NetAdapterName', 'HostRoute']);
    expect(props.Dns).toEqual({ ServerList: ['10.96.0.10'] });
    ok(hcn(m, 'HcnModifyNetwork', { id: n.ID, json: { ResourceType: 'Policy', RequestType: 'Remove', Settings: { Policies: [route] } } }));
    failsWith(hcn(m, 'HcnModifyNetwork', { id: n.ID, json: { ResourceType: 'Policy', RequestType: 'Remove', Settings: { Policies: [route] } } }), HRESULT.HCN_E_POLICY_NOT_FOUND);
    failsWith(hcn(m, 'HcnModifyNetwork', { id: n.ID, json: { ResourceType: 'Extension', RequestType: 'Add', Settings: {} } }), HRESULT.HCN_E_REQUEST_UNSUPPORTED);
  });
});

describe('endpoints', () => {
  let net: { ID: string };
  beforeEach(() => {
    net = createNetwork(m);
  });

  it('creates an endpoint on the network whose handle is passed, with an assigned ID and a MAC from the pool', () => {
    const e = createEndpoint(m, net.ID.toLowerCase());
    expect(e).toMatchObject({ Name: 'c1_k8s-pod-net', HostComputeNetwork: net.ID, IpConfigurations: [{ IpAddress: '10.244.3.17', PrefixLength: 24 }], MacAddress: '00-15-5D-52-C0-00' });
    expect(e.ID).toMatch(GUID_UPPER);
    expect('HostComputeNamespace' in e).toBe(false);
  });

  it('hands out distinct pool MACs in dash format and reuses a freed one', () => {
    const a = createEndpoint(m, net.ID, { Name: 'a', IpConfigurations: [{ IpAddress: '10.244.3.10' }] });
    const b = createEndpoint(m, net.ID, { Name: 'b', IpConfigurations: [{ IpAddress: '10.244.3.11' }] });
    expect(b.MacAddress).toBe('00-15-5D-52-C0-01');
    ok(hcn(m, 'HcnDeleteEndpoint', { id: a.ID }));
    expect(createEndpoint(m, net.ID, { Name: 'c', IpConfigurations: [{ IpAddress: '10.244.3.12' }] }).MacAddress).toBe('00-15-5D-52-C0-00');
  });

  it('takes a caller-chosen MAC, refuses a malformed one (E_INVALIDARG) and one in use (HCN_E_ADDR_INVALID_OR_RESERVED)', () => {
    expect(createEndpoint(m, net.ID, { MacAddress: '00-15-5d-aa-bb-cc' }).MacAddress).toBe('00-15-5D-AA-BB-CC');
    failsWith(hcn(m, 'HcnCreateEndpoint', { networkId: net.ID, json: endpointSettings({ IpConfigurations: [{ IpAddress: '10.244.3.20' }], MacAddress: '00155DAABBCD' }) }), HRESULT.E_INVALIDARG);
    failsWith(hcn(m, 'HcnCreateEndpoint', { networkId: net.ID, json: endpointSettings({ IpConfigurations: [{ IpAddress: '10.244.3.20' }], MacAddress: '00-15-5D-AA-BB-CC' }) }), HRESULT.HCN_E_ADDR_INVALID_OR_RESERVED);
  });

  it('refuses a missing network (HCN_E_NETWORK_NOT_FOUND) and a create without any network (E_INVALIDARG)', () => {
    failsWith(hcn(m, 'HcnCreateEndpoint', { networkId: '33333333-3333-3333-3333-333333333333', json: endpointSettings() }), HRESULT.HCN_E_NETWORK_NOT_FOUND);
    failsWith(hcn(m, 'HcnCreateEndpoint', { json: endpointSettings() }), HRESULT.E_INVALIDARG);
  });

  it('checks the settings HostComputeNetwork against the handle: malformed GUID, other network', () => {
    failsWith(hcn(m, 'HcnCreateEndpoint', { networkId: net.ID, json: endpointSettings({ HostComputeNetwork: 'nope' }) }), HRESULT.HCN_E_GUID_CONVERSION_FAILURE);
    const other = createNetwork(m);
    failsWith(hcn(m, 'HcnCreateEndpoint', { networkId: net.ID, json: endpointSettings({ HostComputeNetwork: other.ID }) }), HRESULT.E_INVALIDARG);
    ok(hcn(m, 'HcnCreateEndpoint', { networkId: net.ID, json: endpointSettings({ HostComputeNetwork: net.ID.toLowerCase() }) }));
  });

  it('refuses endpoint JSON that sets the read-only HostComputeNamespace (E_INVALIDARG)', () => {
    const ns = m.createNamespace();
    failsWith(hcn(m, 'HcnCreateEndpoint', { networkId: net.ID, json: endpointSettings({ HostComputeNamespace: ns }) }), HRESULT.E_INVALIDARG);
    expect(enumerate(m, 'Endpoints')).toEqual([]);
  });

  it('requires SchemaVersion (E_INVALIDARG)', () => {
    failsWith(hcn(m, 'HcnCreateEndpoint', { networkId: net.ID, json: endpointSettings({ SchemaVersion: undefined }) }), HRESULT.E_INVALIDARG);
  });

  it('refuses a malformed IP (HCN_E_INVALID_IP) and one outside the network subnets (HCN_E_INVALID_IP)', () => {
    for (const ip of ['10.244.3', '10.244.3.256', '10.244.03.5', 'fd00::zz']) {
      failsWith(hcn(m, 'HcnCreateEndpoint', { networkId: net.ID, json: endpointSettings({ IpConfigurations: [{ IpAddress: ip }] }) }), HRESULT.HCN_E_INVALID_IP);
    }
    failsWith(hcn(m, 'HcnCreateEndpoint', { networkId: net.ID, json: endpointSettings({ IpConfigurations: [{ IpAddress: '10.244.4.5' }] }) }), HRESULT.HCN_E_INVALID_IP);
  });

  it('refuses an IP of a family the network has no subnet for (HCN_E_SUBNET_NOT_FOUND)', () => {
    failsWith(hcn(m, 'HcnCreateEndpoint', { networkId: net.ID, json: endpointSettings({ IpConfigurations: [{ IpAddress: 'fd00::5' }] }) }), HRESULT.HCN_E_SUBNET_NOT_FOUND);
  });

  it('refuses the network and broadcast addresses (HCN_E_ADDR_INVALID_OR_RESERVED)', () => {
    failsWith(hcn(m, 'HcnCreateEndpoint', { networkId: net.ID, json: endpointSettings({ IpConfigurations: [{ IpAddress: '10.244.3.0' }] }) }), HRESULT.HCN_E_ADDR_INVALID_OR_RESERVED);
    failsWith(hcn(m, 'HcnCreateEndpoint', { networkId: net.ID, json: endpointSettings({ IpConfigurations: [{ IpAddress: '10.244.3.255' }] }) }), HRESULT.HCN_E_ADDR_INVALID_OR_RESERVED);
  });

  it('allows the gateway address itself (the bridge host endpoint sits on it)', () => {
    createEndpoint(m, net.ID, { Name: 'gw', IpConfigurations: [{ IpAddress: '10.244.3.2' }] });
  });

  it('refuses an IP already used in the network with ERROR_OBJECT_ALREADY_EXISTS (0x80071392, "The object already exists")', () => {
    createEndpoint(m, net.ID);
    const record = failsWith(hcn(m, 'HcnCreateEndpoint', { networkId: net.ID, json: endpointSettings({ Name: 'c2' }) }), HRESULT.ERROR_OBJECT_ALREADY_EXISTS);
    expect(record.Error).toBe('The object already exists. ');
    failsWith(hcn(m, 'HcnCreateEndpoint', { networkId: net.ID, json: endpointSettings({ IpConfigurations: [{ IpAddress: '10.244.3.40' }, { IpAddress: '10.244.3.40' }] }) }), HRESULT.ERROR_OBJECT_ALREADY_EXISTS);
    // Another network may use the same address.
    const other = createNetwork(m);
    createEndpoint(m, other.ID);
  });

  it('defaults PrefixLength to the subnet and takes dual-stack IpConfigurations', () => {
    const ds = createNetwork(m, { Ipams: [{ Type: 'Static', Subnets: [subnet('10.1.0.0/16', '10.1.0.2'), subnet('fd00:1::/64', 'fd00:1::2')] }] });
    const e = createEndpoint(m, ds.ID, { IpConfigurations: [{ IpAddress: '10.1.0.9' }, { IpAddress: 'FD00:1:0::9' }] });
    expect(e.IpConfigurations).toEqual([
      { IpAddress: '10.1.0.9', PrefixLength: 16 },
      { IpAddress: 'fd00:1::9', PrefixLength: 64 },
    ]);
  });

  it('picks the first free address, not a gateway, when IpConfigurations is empty', () => {
    const a = createEndpoint(m, net.ID, { Name: 'a', IpConfigurations: undefined });
    const b = createEndpoint(m, net.ID, { Name: 'b', IpConfigurations: [] });
    const c = createEndpoint(m, net.ID, { Name: 'c', IpConfigurations: undefined });
    expect([a, b, c].map((e) => (e.IpConfigurations as { IpAddress: string }[])[0]?.IpAddress)).toEqual(['10.244.3.1', '10.244.3.3', '10.244.3.4']);
  });

  it('refuses an unknown endpoint policy type (HCN_E_INVALID_POLICY_TYPE) and nothing is created', () => {
    failsWith(hcn(m, 'HcnCreateEndpoint', { networkId: net.ID, json: endpointSettings({ Policies: [{ Type: 'OutboundNat', Settings: {} }] }) }), HRESULT.HCN_E_INVALID_POLICY_TYPE);
    expect(enumerate(m, 'Endpoints')).toEqual([]);
  });

  it('refuses malformed policy settings (HCN_E_INVALID_POLICY): a bad exception CIDR, a mistyped field, an SDNRoute without prefix', () => {
    const bad = [
      { Type: 'OutBoundNAT', Settings: { Exceptions: ['10.0.0.0/8', '10.96.0.0/33'] } },
      { Type: 'OutBoundNAT', Settings: { Exceptions: '10.0.0.0/8' } },
      { Type: 'SDNRoute', Settings: { NeedEncap: true } },
      { Type: 'ACL', Settings: { Action: 'Allow', Direction: 'In', LocalPorts: '80-70' } },
      { Type: 'ACL', Settings: { Direction: 'In' } },
      { Type: 'PortMapping', Settings: { Protocol: 1, InternalPort: 80, ExternalPort: 8080 } },
    ];
    for (const p of bad) failsWith(hcn(m, 'HcnCreateEndpoint', { networkId: net.ID, json: endpointSettings({ Policies: [p] }) }), HRESULT.HCN_E_INVALID_POLICY);
  });

  it('refuses a PortMapping with InternalPort 0 or missing (HCN_E_INVALID_INTERNAL_PORT)', () => {
    failsWith(hcn(m, 'HcnCreateEndpoint', { networkId: net.ID, json: endpointSettings({ Policies: [portMapping(30080, { InternalPort: 0 })] }) }), HRESULT.HCN_E_INVALID_INTERNAL_PORT);
    failsWith(hcn(m, 'HcnCreateEndpoint', { networkId: net.ID, json: endpointSettings({ Policies: [{ Type: 'PortMapping', Settings: { Protocol: 6, ExternalPort: 30080 } }] }) }), HRESULT.HCN_E_INVALID_INTERNAL_PORT);
  });

  it('refuses a duplicate ExternalPort + Protocol + VIP across endpoints (HCN_E_PORT_ALREADY_EXISTS)', () => {
    createEndpoint(m, net.ID, { Name: 'a', IpConfigurations: [{ IpAddress: '10.244.3.10' }], Policies: [portMapping(30080)] });
    const second = (policies: unknown[], ip: string) => hcn(m, 'HcnCreateEndpoint', { networkId: net.ID, json: endpointSettings({ Name: `x${ip}`, IpConfigurations: [{ IpAddress: ip }], Policies: policies }) });
    failsWith(second([portMapping(30080, { InternalPort: 8080 })], '10.244.3.11'), HRESULT.HCN_E_PORT_ALREADY_EXISTS);
    failsWith(second([portMapping(30080, { VIP: '10.244.3.11' })], '10.244.3.11'), HRESULT.HCN_E_PORT_ALREADY_EXISTS); // the first has no VIP: all addresses
    failsWith(second([portMapping(30081), portMapping(30081)], '10.244.3.11'), HRESULT.HCN_E_PORT_ALREADY_EXISTS);
    ok(second([portMapping(30080, { Protocol: 17 })], '10.244.3.12')); // UDP is another port space
    ok(second([portMapping(30080, { Flags: 2 })], '10.244.3.13')); // the IPv6 copy of a mapping
  });

  it('keeps mappings on distinct VIPs apart', () => {
    createEndpoint(m, net.ID, { Name: 'a', IpConfigurations: [{ IpAddress: '10.244.3.10' }], Policies: [portMapping(30080, { VIP: '192.0.2.1' })] });
    createEndpoint(m, net.ID, { Name: 'b', IpConfigurations: [{ IpAddress: '10.244.3.11' }], Policies: [portMapping(30080, { VIP: '192.0.2.2' })] });
  });

  it('frees a host port when its endpoint is deleted', () => {
    const a = createEndpoint(m, net.ID, { Name: 'a', IpConfigurations: [{ IpAddress: '10.244.3.10' }], Policies: [portMapping(30080)] });
    ok(hcn(m, 'HcnDeleteEndpoint', { id: a.ID }));
    createEndpoint(m, net.ID, { Name: 'b', IpConfigurations: [{ IpAddress: '10.244.3.11' }], Policies: [portMapping(30080)] });
  });

  it('takes loopback DSR (OutBoundNAT Destinations) only from an HNS with DSR (9.3–9.x, >= 10.2)', () => {
    const dsr = { Type: 'OutBoundNAT', Settings: { Destinations: ['10.244.3.17'] } };
    m.setVersion({ Major: 10, Minor: 1 });
    failsWith(hcn(m, 'HcnCreateEndpoint', { networkId: net.ID, json: endpointSettings({ Policies: [dsr] }) }), HRESULT.HCN_E_INVALID_POLICY);
    m.setVersion({ Major: 10, Minor: 2 });
    createEndpoint(m, net.ID, { Policies: [dsr] });
  });

  it('answers a missing endpoint on open, query, modify and delete with HCN_E_ENDPOINT_NOT_FOUND', () => {
    const id = '44444444-4444-4444-4444-444444444444';
    for (const method of ['HcnOpenEndpoint', 'HcnQueryEndpointProperties', 'HcnModifyEndpoint', 'HcnDeleteEndpoint']) {
      failsWith(hcn(m, method, { id }), HRESULT.HCN_E_ENDPOINT_NOT_FOUND);
    }
  });

  it('adds, updates and removes endpoint policies with HcnModifyEndpoint', () => {
    const e = createEndpoint(m, net.ID, { Policies: [portMapping(30080)] });
    const modify = (RequestType: string, Policies: unknown[]) => hcn(m, 'HcnModifyEndpoint', { id: e.ID, json: { ResourceType: 'Policy', RequestType, Settings: { Policies } } });
    const acl = { Type: 'ACL', Settings: { Protocols: '6', Action: 'Allow', Direction: 'In', LocalPorts: '8080', RuleType: 'Switch', Priority: 1000 } };
    ok(modify('Add', [acl]));
    failsWith(modify('Add', [acl]), HRESULT.HCN_E_POLICY_ALREADY_EXISTS);
    failsWith(modify('Add', [portMapping(30080, { InternalPort: 81 })]), HRESULT.HCN_E_PORT_ALREADY_EXISTS);
    ok(modify('Update', [portMapping(30080, { InternalPort: 81 })])); // replaces the mapping, no clash with itself
    ok(modify('Remove', [acl]));
    failsWith(modify('Remove', [acl]), HRESULT.HCN_E_POLICY_NOT_FOUND);
    const props = ok<{ Policies: unknown[] }>(hcn(m, 'HcnQueryEndpointProperties', { id: e.ID }));
    expect(props.Policies).toEqual([portMapping(30080, { InternalPort: 81 })]);
    failsWith(hcn(m, 'HcnModifyEndpoint', { id: e.ID, json: { ResourceType: 'Port', RequestType: 'Add', Settings: {} } }), HRESULT.HCN_E_REQUEST_UNSUPPORTED);
  });
});

describe('namespaces', () => {
  let net: { ID: string };
  let ep: { ID: string };
  beforeEach(() => {
    net = createNetwork(m);
    ep = createEndpoint(m, net.ID);
  });

  it('creates a namespace from the empty document containerd sends, with a compartment id', () => {
    const ns = ok<{ ID: string; Type: string; NamespaceId: number }>(hcn(m, 'HcnCreateNamespace', { id: ZERO, json: '' }));
    expect(ns).toMatchObject({ Type: 'Host', NamespaceId: 2 });
    const zeroValue = ok<{ NamespaceId: number }>(hcn(m, 'HcnCreateNamespace', { id: ZERO, json: { SchemaVersion: { Major: 0, Minor: 0 } } }));
    expect(zeroValue.NamespaceId).toBe(3);
    failsWith(hcn(m, 'HcnCreateNamespace', { json: { Type: 'Container' } }), HRESULT.HCN_E_INVALID_JSON);
  });

  it('attaches an endpoint: the namespace lists it (Data.Id) and the endpoint names the namespace', () => {
    const ns = m.createNamespace();
    ok(attach(m, ns.toLowerCase(), ep.ID.toLowerCase()));
    const props = ok<{ Resources: unknown[] }>(hcn(m, 'HcnQueryNamespaceProperties', { id: ns }));
    expect(props.Resources).toEqual([{ Type: 'Endpoint', Data: { Id: ep.ID } }]);
    expect(ok(hcn(m, 'HcnQueryEndpointProperties', { id: ep.ID })).HostComputeNamespace).toBe(ns);
  });

  it('refuses a second attach (HCN_E_ENDPOINT_ALREADY_ATTACHED) and an attach to another namespace (HCN_E_ENDPOINT_NAMESPACE_ALREADY_EXISTS)', () => {
    const ns = m.createNamespace();
    const other = m.createNamespace();
    ok(attach(m, ns, ep.ID));
    failsWith(attach(m, ns, ep.ID), HRESULT.HCN_E_ENDPOINT_ALREADY_ATTACHED);
    failsWith(attach(m, other, ep.ID), HRESULT.HCN_E_ENDPOINT_NAMESPACE_ALREADY_EXISTS);
  });

  it('answers a missing namespace with 0x80070490 and a missing endpoint with HCN_E_ENDPOINT_NOT_FOUND', () => {
    const missing = '55555555-5555-5555-5555-555555555555';
    failsWith(attach(m, missing, ep.ID), HRESULT.ERROR_NOT_FOUND);
    for (const method of ['HcnOpenNamespace', 'HcnQueryNamespaceProperties', 'HcnDeleteNamespace']) failsWith(hcn(m, method, { id: missing }), HRESULT.ERROR_NOT_FOUND);
    failsWith(attach(m, m.createNamespace(), missing), HRESULT.HCN_E_ENDPOINT_NOT_FOUND);
  });

  it('checks the modify request: EndpointId missing (E_INVALIDARG) or not a GUID (HCN_E_GUID_CONVERSION_FAILURE)', () => {
    const ns = m.createNamespace();
    failsWith(hcn(m, 'HcnModifyNamespace', { id: ns, json: { ResourceType: 'Endpoint', RequestType: 'Add', Settings: {} } }), HRESULT.E_INVALIDARG);
    failsWith(attach(m, ns, 'abc'), HRESULT.HCN_E_GUID_CONVERSION_FAILURE);
    failsWith(hcn(m, 'HcnModifyNamespace', { id: ns, json: { RequestType: 'Add', Settings: {} } }), HRESULT.E_INVALIDARG);
    failsWith(hcn(m, 'HcnModifyNamespace', { id: ns, json: 'nope' }), HRESULT.HCN_E_INVALID_JSON);
  });

  it('detaches; detaching an endpoint that is not attached there fails with HCN_E_ENDPOINT_NOT_ATTACHED', () => {
    const ns = m.createNamespace();
    failsWith(attach(m, ns, ep.ID, 'Remove'), HRESULT.HCN_E_ENDPOINT_NOT_ATTACHED);
    ok(attach(m, ns, ep.ID));
    ok(attach(m, ns, ep.ID, 'Remove'));
    expect('HostComputeNamespace' in ok(hcn(m, 'HcnQueryEndpointProperties', { id: ep.ID }))).toBe(false);
  });

  it('deleting an attached endpoint detaches it; deleting a namespace leaves its endpoints detached', () => {
    const ns = m.createNamespace();
    ok(attach(m, ns, ep.ID));
    ok(hcn(m, 'HcnDeleteEndpoint', { id: ep.ID }));
    expect('Resources' in ok(hcn(m, 'HcnQueryNamespaceProperties', { id: ns }))).toBe(false);
    const ep2 = createEndpoint(m, net.ID, { Name: 'c2', IpConfigurations: [{ IpAddress: '10.244.3.18' }] });
    ok(attach(m, ns, ep2.ID));
    ok(hcn(m, 'HcnDeleteNamespace', { id: ns }));
    expect('HostComputeNamespace' in ok(hcn(m, 'HcnQueryEndpointProperties', { id: ep2.ID }))).toBe(false);
  });

  it('records container resources', () => {
    const ns = m.createNamespace();
    ok(hcn(m, 'HcnModifyNamespace', { id: ns, json: { ResourceType: 'Container', RequestType: 'Add', Settings: { ContainerId: 'pause' } } }));
    expect(ok(hcn(m, 'HcnQueryNamespaceProperties', { id: ns })).Resources).toEqual([{ Type: 'Container', Data: { Id: 'pause' } }]);
    failsWith(hcn(m, 'HcnModifyNamespace', { id: ns, json: { ResourceType: 'Container', RequestType: 'Remove', Settings: { ContainerId: 'other' } } }), HRESULT.ERROR_NOT_FOUND);
  });
});

describe('queries', () => {
  it('filters by ID (any case), Name, VirtualNetwork and HostComputeNetwork; no match is an empty list', () => {
    const n1 = createNetwork(m, { Name: 'one' });
    const n2 = createNetwork(m, { Name: 'two' });
    const a = createEndpoint(m, n1.ID, { Name: 'a' });
    const b = createEndpoint(m, n2.ID, { Name: 'b' });
    expect(enumerate(m, 'Endpoints')).toEqual([a.ID, b.ID]);
    expect(enumerate(m, 'Endpoints', { ID: a.ID.toLowerCase() })).toEqual([a.ID]);
    expect(enumerate(m, 'Endpoints', { Name: 'b' })).toEqual([b.ID]);
    expect(enumerate(m, 'Endpoints', { VirtualNetwork: n1.ID.toLowerCase() })).toEqual([a.ID]);
    expect(enumerate(m, 'Endpoints', { HostComputeNetwork: n2.ID })).toEqual([b.ID]);
    expect(enumerate(m, 'Endpoints', { Name: 'nobody' })).toEqual([]);
    expect(enumerate(m, 'Networks', { Name: 'two' })).toEqual([n2.ID]);
  });

  it('takes an empty query, and a bare filter object as Query (the MS C++ samples form)', () => {
    const n = createNetwork(m, { Name: 'WDAG' });
    createNetwork(m, { Name: 'other' });
    expect(ok<string[]>(hcn(m, 'HcnEnumerateNetworks', { json: '' }))).toHaveLength(2);
    expect(ok<string[]>(hcn(m, 'HcnEnumerateNetworks', { json: { Name: 'WDAG' } }))).toEqual([n.ID]);
  });

  it('refuses a malformed query or Filter (HCN_E_INVALID_JSON) and a non-GUID ID filter (HCN_E_GUID_CONVERSION_FAILURE)', () => {
    failsWith(hcn(m, 'HcnEnumerateEndpoints', { json: '{' }), HRESULT.HCN_E_INVALID_JSON);
    failsWith(hcn(m, 'HcnEnumerateEndpoints', { json: { SchemaVersion: SV, Filter: '{"Name":' } }), HRESULT.HCN_E_INVALID_JSON);
    failsWith(hcn(m, 'HcnEnumerateEndpoints', { json: { SchemaVersion: SV, Filter: '{"ID":"x"}' } }), HRESULT.HCN_E_GUID_CONVERSION_FAILURE);
  });

  it("has the host's default compartment as a HostDefault namespace, found with the IsDefault filter", () => {
    const pod = m.createNamespace();
    const [host] = enumerate(m, 'Namespaces', { IsDefault: true });
    expect(ok(hcn(m, 'HcnQueryNamespaceProperties', { id: host }))).toMatchObject({ Type: 'HostDefault', NamespaceId: 1 });
    expect(enumerate(m, 'Namespaces', { IsDefault: false })).toEqual([pod]);
    expect(enumerate(new HnsModel({ hostDefaultNamespace: false }), 'Namespaces')).toEqual([]);
  });
});

describe('the v1 version probe', () => {
  it('reports the configured HNS version in the HNSCall envelope', () => {
    const probe = { Method: 'GET', Path: '/globals/version', Request: '' };
    expect(ok(hcn(m, 'HNSCall', { json: probe }))).toEqual({ Success: true, Error: '', Output: { Major: 15, Minor: 4 } });
    const old = new HnsModel({ version: { Major: 9, Minor: 3 } });
    expect(ok(hcn(old, 'HNSCall', { json: probe }))).toMatchObject({ Output: { Major: 9, Minor: 3 } });
    expect(ok(hcn(m, 'HNSCall', { json: { Method: 'GET', Path: '/networks' } }))).toMatchObject({ Success: false });
  });
});

describe('HNS restart, node reboot and reset', () => {
  it('restart: endpoints are gone (and detached), networks and namespaces stay', () => {
    const n = createNetwork(m);
    const e = createEndpoint(m, n.ID);
    const ns = m.createNamespace();
    ok(attach(m, ns, e.ID));
    const host = enumerate(m, 'Namespaces', { IsDefault: true });
    expect(m.restart()).toEqual({ endpointsRemoved: 1 });
    expect(enumerate(m, 'Networks')).toEqual([n.ID]);
    expect(enumerate(m, 'Endpoints')).toEqual([]);
    expect(enumerate(m, 'Namespaces')).toEqual([...host, ns]);
    expect('Resources' in ok(hcn(m, 'HcnQueryNamespaceProperties', { id: ns }))).toBe(false);
    failsWith(hcn(m, 'HcnQueryEndpointProperties', { id: e.ID }), HRESULT.HCN_E_ENDPOINT_NOT_FOUND);
  });

  it('reboot: endpoints, namespaces and non-persistent networks are gone; persistent networks stay', () => {
    const transient = createNetwork(m);
    const persistent = createNetwork(m, { Name: 'kept', Flags: 16, Ipams: [{ Type: 'Static', Subnets: [subnet('10.9.0.0/24', '10.9.0.1')] }] });
    createEndpoint(m, transient.ID);
    m.createNamespace();
    const [hostBefore] = enumerate(m, 'Namespaces', { IsDefault: true });
    expect(m.reboot()).toEqual({ endpointsRemoved: 1, namespacesRemoved: 1, networksRemoved: 1 });
    expect(enumerate(m, 'Networks')).toEqual([persistent.ID]);
    expect(enumerate(m, 'Endpoints')).toEqual([]);
    // Only the host's default namespace, back with a new ID.
    const after = enumerate(m, 'Namespaces');
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(hostBefore);
    expect(ok(hcn(m, 'HcnQueryNamespaceProperties', { id: after[0] }))).toMatchObject({ Type: 'HostDefault', NamespaceId: 1 });
  });

  it('reset: empty state with the constructor version and adapters', () => {
    const custom = new HnsModel({ version: { Major: 11, Minor: 10 }, adapters: ['vEthernet (Ext)'], hostDefaultNamespace: false });
    createNetwork(custom, { Policies: [] });
    custom.setVersion({ Major: 9, Minor: 1 });
    custom.addAdapter('Ethernet 9');
    custom.reset();
    expect(custom.dump()).toEqual({ version: { Major: 11, Minor: 10 }, adapters: ['vEthernet (Ext)'], networks: [], endpoints: [], namespaces: [] });
  });

  it('admin namespace helpers: create with a type, delete reports whether it existed', () => {
    const id = m.createNamespace({ type: 'Host' });
    expect(m.deleteNamespace(id.toLowerCase())).toBe(true);
    expect(m.deleteNamespace(id)).toBe(false);
    expect(m.deleteNamespace('junk')).toBe(false);
    expect(() => m.createNamespace({ type: 'Bogus' })).toThrow(RangeError);
  });
});
