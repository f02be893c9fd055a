// Shared helpers for the hns-mock tests: drive the model with raw HCN calls, as the C stand-in or
// the gRPC client would.

import { expect } from 'vitest';
import { HRESULT, hresultHex } from '../../../src/hns/api.js';
import type { CallResponse } from '../../../src/hns/wire.js';
import type { HnsModel } from '../../../hns-mock/model.js';

export const SV = { Major: 2, Minor: 0 };
export const ZERO = '00000000-0000-0000-0000-000000000000';

export interface Caller {
  call(req: { method: string; id: string; json: string; networkId: string }): CallResponse;
}

export function hcn(m: Caller, method: string, args: { id?: string; json?: unknown; networkId?: string } = {}): CallResponse {
  const json = args.json === undefined ? '' : typeof args.json === 'string' ? args.json : JSON.stringify(args.json);
  return m.call({ method, id: args.id ?? '', json, networkId: args.networkId ?? '' });
}

/** The parsed JSON of a successful answer; fails the test with the ErrorRecord otherwise. */
export function ok<T = Record<string, unknown>>(res: CallResponse): T {
  if (res.hresult < 0) throw new Error(`expected success, got ${hresultHex(res.hresult)} ${res.errorRecord}`);
  return (res.json === '' ? undefined : JSON.parse(res.json)) as T;
}

/** Asserts a failure with this HRESULT and HNS's ErrorRecord shape; returns the record. */
export function failsWith(res: CallResponse, hresult: number): { Success: boolean; Error: string; ErrorCode: number; Detail?: string } {
  expect(hresultHex(res.hresult), res.errorRecord).toBe(hresultHex(hresult));
  expect(res.json).toBe('');
  const record = JSON.parse(res.errorRecord) as { Success: boolean; Error: string; ErrorCode: number; Detail?: string };
  expect(record.Success).toBe(false);
  expect(record.ErrorCode).toBe(hresult >>> 0);
  expect(record.Error.endsWith(' ')).toBe(true); // HNS's texts carry a trailing space
  return record;
}

export function subnet(prefix: string, gateway: string, dest = prefix.includes(':') ? '::/0' : '0.0.0.0/0'): Record<string, unknown> {
  return { IpAddressPrefix: prefix, Routes: [{ NextHop: gateway, DestinationPrefix: dest }] };
}

export function networkSettings(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    SchemaVersion: SV,
    Name: 'k8s-pod-net',
    Type: 'L2Bridge',
    Ipams: [{ Type: 'Static', Subnets: [subnet('10.244.3.0/24', '10.244.3.2')] }],
    Policies: [{ Type: 'NetAdapterName', Settings: { NetworkAdapterName: 'Ethernet' } }],
    ...overrides,
  };
}

export function createNetwork(m: Caller, overrides: Record<string, unknown> = {}): Record<string, unknown> & { ID: string } {
  return ok(hcn(m, 'HcnCreateNetwork', { id: ZERO, json: networkSettings(overrides) }));
}

export function endpointSettings(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { SchemaVersion: SV, Name: 'c1_k8s-pod-net', IpConfigurations: [{ IpAddress: '10.244.3.17', PrefixLength: 24 }], ...overrides };
}

export function createEndpoint(m: Caller, networkId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> & { ID: string } {
  return ok(hcn(m, 'HcnCreateEndpoint', { id: ZERO, networkId, json: endpointSettings(overrides) }));
}

export function attach(m: Caller, namespaceId: string, endpointId: string, requestType = 'Add'): CallResponse {
  return hcn(m, 'HcnModifyNamespace', { id: namespaceId, json: { ResourceType: 'Endpoint', RequestType: requestType, Settings: { EndpointId: endpointId } } });
}

export function enumerate(m: Caller, resource: 'Networks' | 'Endpoints' | 'Namespaces', filter?: Record<string, unknown>): string[] {
  const query = filter === undefined ? { SchemaVersion: SV } : { SchemaVersion: SV, Filter: JSON.stringify(filter) };
  return ok<string[]>(hcn(m, `HcnEnumerate${resource}`, { json: query }));
}

export function portMapping(external: number, settings: Record<string, unknown> = {}): Record<string, unknown> {
  return { Type: 'PortMapping', Settings: { Protocol: 6, InternalPort: 80, ExternalPort: external, ...settings } };
}

export { HRESULT };
export type { HnsModel };
