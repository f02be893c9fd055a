// hnsbridge's own OS locks (the IPAM store has its own, host-local's): one per network for creating
// the network and its gateway, and striped per-container locks so ADD and DEL of one container never
// overlap while different pods run in parallel. Stripes keep the number of lock files fixed: a lock
// file per container could not be deleted safely while another process might be waiting on it.

import { mkdirSync } from 'node:fs';
import { join, posix, win32 } from 'node:path';
import { FileLock } from '../ipam/lock.js';
import { containerLockStripe } from './naming.js';

export const CONTAINER_LOCK_STRIPES = 256;

/** The network's own folder in the state folder: its locks and ID hints (id-hints.ts). */
export function networkStatePath(stateDir: string, network: string, platform: NodeJS.Platform): string {
  return (platform === 'win32' ? win32 : posix).join(stateDir, network);
}

/** networkStatePath, created when missing: a lock file needs its folder. */
function lockDir(stateDir: string, network: string, platform: NodeJS.Platform): string {
  const dir = networkStatePath(stateDir, network, platform);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function networkLock(stateDir: string, network: string, platform: NodeJS.Platform): FileLock {
  return new FileLock(join(lockDir(stateDir, network, platform), 'network.lock'), { platform });
}

export function containerLock(stateDir: string, network: string, containerId: string, ifname: string, platform: NodeJS.Platform): FileLock {
  const stripe = containerLockStripe(containerId, ifname, CONTAINER_LOCK_STRIPES);
  return new FileLock(join(lockDir(stateDir, network, platform), `container-${String(stripe).padStart(3, '0')}.lock`), { platform });
}
