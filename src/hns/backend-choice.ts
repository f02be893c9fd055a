// Which HNS backend HNS_BACKEND and the platform select, as a plain function with no imports: the
// executable's launcher (src/launcher.ts) needs the answer before any plugin code is loaded, to
// pick the bundle that carries that backend.

export type BackendName = 'ffi' | 'mock';

/** `ffi` on Windows and `mock` elsewhere unless HNS_BACKEND says otherwise; undefined for an invalid HNS_BACKEND. */
export function chosenBackend(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): BackendName | undefined {
  const v = env.HNS_BACKEND?.trim().toLowerCase();
  if (v === undefined || v === '') return platform === 'win32' ? 'ffi' : 'mock';
  return v === 'ffi' || v === 'mock' ? v : undefined;
}
