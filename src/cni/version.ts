// CNI spec versions this plugin speaks, and the per-verb minimums the reference skel enforces.

export const SUPPORTED_VERSIONS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;
export type CniVersion = (typeof SUPPORTED_VERSIONS)[number];
export const LATEST_VERSION: CniVersion = '1.1.0';

export function isSupportedVersion(v: unknown): v is CniVersion {
  return typeof v === 'string' && (SUPPORTED_VERSIONS as readonly string[]).includes(v);
}

/** Compares two dotted versions numerically (`0.10.0` > `0.4.0`). Non-numeric parts compare as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** Result shape families: 0.3.x/0.4.0 carry `ips[].version`; 1.0.0 drops it; 1.1.0 adds interface/route fields. */
export function hasIpVersionField(v: CniVersion): boolean {
  return compareVersions(v, '1.0.0') < 0;
}

export function hasV11Fields(v: CniVersion): boolean {
  return compareVersions(v, '1.1.0') >= 0;
}
