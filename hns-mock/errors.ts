// How the mock fails a call the way HNS does: a failing HRESULT plus an ErrorRecord
// `{"Success":false,"Error":"<text> ","ErrorCode":<HRESULT as unsigned decimal>}`.
//
// The Error text is the system message of the HRESULT (the MS "HCN Error Code" table and
// winerror.h), with the trailing space real ErrorRecords carry, so the plugin's messages look the
// same against the mock as against Windows. What exactly the mock objected to goes in an extra
// `Detail` member: real HNS has no such member, parsers ignore it, and it shows up in the raw
// ErrorRecord and in the call log, where a developer needs it.

import { HRESULT, hresultHex, hresultName } from '../src/hns/api.js';

/** System message of each HRESULT the mock returns (MS HCN Error Code table; winerror.h texts for Win32 codes). */
const TEXT: Record<number, string> = {
  [HRESULT.HCN_E_NETWORK_NOT_FOUND]: 'The network was not found',
  [HRESULT.HCN_E_ENDPOINT_NOT_FOUND]: 'The endpoint was not found',
  [HRESULT.HCN_E_LAYER_NOT_FOUND]: "The network's underlying layer was not found",
  [HRESULT.HCN_E_SWITCH_NOT_FOUND]: 'The virtual switch was not found',
  [HRESULT.HCN_E_SUBNET_NOT_FOUND]: 'The network does not have a subnet for this endpoint',
  [HRESULT.HCN_E_ADAPTER_NOT_FOUND]: 'An adapter was not found',
  [HRESULT.HCN_E_PORT_NOT_FOUND]: 'The switch-port was not found',
  [HRESULT.HCN_E_POLICY_NOT_FOUND]: 'An expected policy was not found',
  [HRESULT.HCN_E_INVALID_NETWORK]: 'The provided network configuration is invalid or missing parameters',
  [HRESULT.HCN_E_INVALID_NETWORK_TYPE]: 'Invalid network type',
  [HRESULT.HCN_E_INVALID_ENDPOINT]: 'The provided endpoint configuration is invalid or missing parameters',
  [HRESULT.HCN_E_INVALID_POLICY]: 'The provided policy configuration is invalid or missing parameters',
  [HRESULT.HCN_E_INVALID_POLICY_TYPE]: 'Invalid policy type',
  [HRESULT.HCN_E_NETWORK_ALREADY_EXISTS]: 'A network with this name already exists',
  [HRESULT.HCN_E_POLICY_ALREADY_EXISTS]: 'Policy information already exists on this object',
  [HRESULT.HCN_E_PORT_ALREADY_EXISTS]: 'The specified port already exists',
  [HRESULT.HCN_E_ENDPOINT_ALREADY_ATTACHED]: 'This endpoint is already attached to the switch',
  [HRESULT.HCN_E_REQUEST_UNSUPPORTED]: 'The specified request is unsupported',
  [HRESULT.HCN_E_MAPPING_NOT_SUPPORTED]: 'Port mapping is not supported on the given network',
  [HRESULT.HCN_E_DEGRADED_OPERATION]: 'There was an operation attempted on a degraded object',
  [HRESULT.HCN_E_GUID_CONVERSION_FAILURE]: 'Failed to interpret a parameter as a GUID',
  [HRESULT.HCN_E_INVALID_JSON]: 'Invalid JSON document string',
  [HRESULT.HCN_E_INVALID_IP]: 'IP address is either invalid or not part of any configured subnet(s)',
  [HRESULT.HCN_E_MANAGER_STOPPED]: 'Operation cannot be performed while service is stopping',
  [HRESULT.HCN_E_ENDPOINT_NAMESPACE_ALREADY_EXISTS]: 'This requested operation is invalid as endpoint is already part of a network namespace',
  [HRESULT.HCN_E_ENTITY_HAS_REFERENCES]: 'The specified entity cannot be removed while it still has references',
  [HRESULT.HCN_E_INVALID_INTERNAL_PORT]: 'The internal port must exist and cannot be zero',
  [HRESULT.HCN_E_NAMESPACE_ATTACH_FAILED]: 'The requested operation for attach namespace failed',
  [HRESULT.HCN_E_ADDR_INVALID_OR_RESERVED]: 'An address provided is invalid or reserved',
  [HRESULT.HCN_E_INVALID_PREFIX]: 'The prefix provided is invalid',
  [HRESULT.HCN_E_INVALID_SUBNET]: 'The provided subnet configuration is invalid or missing parameters',
  [HRESULT.HCN_E_ENDPOINT_NOT_ATTACHED]: 'The endpoint must be attached to complete the operation',
  [HRESULT.ERROR_NOT_FOUND]: 'Element not found.',
  [HRESULT.E_INVALIDARG]: 'The parameter is incorrect.',
  [HRESULT.E_ACCESSDENIED]: 'Access is denied.',
  [HRESULT.E_NOTIMPL]: 'Not implemented',
  [HRESULT.E_FAIL]: 'Unspecified error',
  [HRESULT.ERROR_ALREADY_EXISTS]: 'Cannot create a file when that file already exists.',
  [HRESULT.ERROR_OBJECT_ALREADY_EXISTS]: 'The object already exists.',
};

/** HNS's text for an HRESULT; unknown codes get a generic text naming the code. */
export function hresultText(hr: number): string {
  return TEXT[hr >>> 0] ?? `${hresultName(hr) ?? 'Error'} (${hresultHex(hr)})`;
}

/** Thrown inside the model; the model turns it into the failing CallResponse. */
export class HcnFailure extends Error {
  /** Unsigned HRESULT. */
  readonly hresult: number;
  /** What the mock objected to, e.g. `IpConfigurations[0].IpAddress 10.0.1.5 is outside the network's subnets`. */
  readonly detail: string;

  constructor(hresult: number, detail: string) {
    const u = hresult >>> 0;
    super(`${hresultHex(u)} ${hresultName(u) ?? ''}: ${detail}`);
    this.name = 'HcnFailure';
    this.hresult = u;
    this.detail = detail;
  }
}

export function fail(hresult: number, detail: string): never {
  throw new HcnFailure(hresult, detail);
}

/** The ErrorRecord document HNS returns with a failing HRESULT. `text` overrides the system message (fault injection). */
export function errorRecord(hresult: number, detail?: string, text?: string): string {
  const record: Record<string, unknown> = { Success: false, Error: `${text ?? hresultText(hresult)} `, ErrorCode: hresult >>> 0 };
  if (detail) record.Detail = detail;
  return JSON.stringify(record);
}

/** HRESULT as the signed 32-bit value the transport carries. */
export function signed(hresult: number): number {
  return hresult | 0;
}
