// Turning a conflist file into the request config containerd would send hnsbridge: the plugin
// object with the list's `cniVersion` and `name` injected (libcni's buildOneConfig).

import { PLUGIN_TYPE } from '../cni/netconf.js';
import { isPlainObject } from '../cni/reader.js';

export interface PluginEntry {
  /** `plugins[i]` in the conflist. */
  path: string;
  /** The request config hnsbridge receives on stdin. */
  config: Record<string, unknown>;
}

export interface ConflistProblem {
  path: string;
  message: string;
}

/** The hnsbridge entries of a conflist (or a single plugin config), or the problems that prevent reading them. */
export function hnsbridgeEntries(doc: unknown): { entries: PluginEntry[]; problems: ConflistProblem[] } {
  const problems: ConflistProblem[] = [];
  if (!isPlainObject(doc)) return { entries: [], problems: [{ path: '(document)', message: 'must be a JSON object' }] };
  const get = (k: string): unknown => Object.entries(doc).find(([key]) => key.toLowerCase() === k.toLowerCase())?.[1];
  const plugins = get('plugins');
  if (plugins === undefined) {
    // A single plugin config (.conf): use it as it is.
    return { entries: [{ path: '(document)', config: doc }], problems };
  }
  if (!Array.isArray(plugins)) return { entries: [], problems: [{ path: 'plugins', message: 'must be an array' }] };
  const entries: PluginEntry[] = [];
  plugins.forEach((p, i) => {
    if (!isPlainObject(p)) {
      problems.push({ path: `plugins[${i}]`, message: 'must be an object' });
      return;
    }
    const type = Object.entries(p).find(([k]) => k.toLowerCase() === 'type')?.[1];
    if (type !== PLUGIN_TYPE) return;
    entries.push({ path: `plugins[${i}]`, config: { ...p, cniVersion: get('cniVersion'), name: get('name') } });
  });
  if (entries.length === 0) problems.push({ path: 'plugins', message: `has no plugin with "type": "${PLUGIN_TYPE}"` });
  return { entries, problems };
}
