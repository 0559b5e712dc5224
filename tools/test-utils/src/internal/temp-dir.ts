import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { trackDir, untrackDir } from './cleanup-registry';

/** A fresh temp dir, removed on process exit unless removeTempDir got to it first. */
export function makeTempDir(prefix: string, base: string = os.tmpdir()): string {
  const dir = mkdtempSync(path.join(base, `agentbus-${prefix}-`));
  trackDir(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  untrackDir(dir);
}
