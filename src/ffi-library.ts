// System libraries opened through ffi-rs by name, each once per process: ffi-rs keys a library by
// the name given to open(), and opening the same name again would dlopen/LoadLibrary it again.

import type { FfiModule } from './native.js';

const opened = new Set<string>();

/** Opens `path` under `name` unless this process already has; returns the name to call through. */
export function openLibrary(ffi: FfiModule, name: string, path: string): string {
  if (!opened.has(name)) {
    ffi.open({ library: name, path });
    opened.add(name);
  }
  return name;
}
