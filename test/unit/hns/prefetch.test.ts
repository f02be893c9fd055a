// HnsService.prefetch: properties read ahead for an ID a lookup is expected to find.

import { describe, expect, it } from 'vitest';
import { HRESULT, HnsError, type HcnApi, type HcnResource } from '../../../src/hns/api.js';
import { HnsService } from '../../../src/hns/hns.js';

const NET = '5f0b1190-63be-4e0c-b974-bd0f55675a42';
const OLD = '0c0c0c0c-1111-4222-8333-444444444444';

/** Networks by ID; records every call in order, and can hold the enumerate's answer back. */
class RecordingApi implements HcnApi {
  readonly calls: string[] = [];
  releaseEnumerate: () => void = () => undefined;
  private readonly enumerateHeld: Promise<void>;

  constructor(private readonly networks: Record<string, string>) {
    this.enumerateHeld = new Promise((r) => (this.releaseEnumerate = r));
  }

  async enumerate(resource: HcnResource): Promise<string> {
    this.calls.push(`enumerate ${resource}`);
    await this.enumerateHeld;
    return JSON.stringify(Object.keys(this.networks));
  }
  async query(resource: HcnResource, id: string): Promise<string> {
    this.calls.push(`query ${resource} ${id}`);
    const name = this.networks[id.toLowerCase()]; // HNS matches IDs whatever their case
    if (name === undefined) throw new HnsError('HcnOpenNetwork', id, HRESULT.HCN_E_NETWORK_NOT_FOUND, 'not found');
    return JSON.stringify({ ID: id.toLowerCase(), Name: name, Type: 'L2Bridge' });
  }
  create(): Promise<string> {
    return Promise.reject(new Error('unexpected create'));
  }
  modify(): Promise<void> {
    return Promise.reject(new Error('unexpected modify'));
  }
  delete(): Promise<void> {
    return Promise.reject(new Error('unexpected delete'));
  }
  version(): Promise<string> {
    return Promise.reject(new Error('unexpected version'));
  }
  close(): void {}
}

describe('HnsService.prefetch', () => {
  it('sends the query before the enumerate has answered, and the lookup uses its answer instead of asking again', async () => {
    const api = new RecordingApi({ [NET]: 'pods' });
    const svc = new HnsService(api);
    svc.prefetch('Network', NET.toUpperCase()); // the same ID, whatever the case
    const found = svc.findNetworksByName('pods');
    await new Promise((r) => setTimeout(r, 10));
    expect(api.calls).toEqual(['query Network ' + NET.toUpperCase(), 'enumerate Network']);
    api.releaseEnumerate();
    expect((await found).map((n) => n.ID)).toEqual([NET]);
    expect(api.calls.filter((c) => c.startsWith('query'))).toHaveLength(1);
  });

  it('uses nothing the lookup does not find itself: a stale ID is ignored, the found one is queried', async () => {
    const api = new RecordingApi({ [NET]: 'pods' });
    const svc = new HnsService(api);
    svc.prefetch('Network', OLD); // fails (no such network), and nobody waits for it
    api.releaseEnumerate();
    expect((await svc.findNetworksByName('pods')).map((n) => n.ID)).toEqual([NET]);
    expect(api.calls).toEqual([`query Network ${OLD}`, 'enumerate Network', `query Network ${NET}`]);
  });

  it('answers once: a later lookup asks HNS again', async () => {
    const api = new RecordingApi({ [NET]: 'pods' });
    const svc = new HnsService(api);
    svc.prefetch('Network', NET);
    api.releaseEnumerate();
    await svc.findNetworksByName('pods');
    await svc.findNetworksByName('pods');
    expect(api.calls.filter((c) => c.startsWith('query'))).toHaveLength(2);
  });
});
