import { accessSync, constants } from 'node:fs';
import path from 'node:path';

export interface TestToolOptions {
  /** An environment variable that names the binary, checked first (e.g. `CHROMIUM_PATH`). */
  env?: string;
  /** How to install it, for the error under CI (e.g. `apt-get install chromium`). */
  install?: string;
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds a binary a test needs the way `command -v` does (and `.ci/run`, which installs it when
 * `command -v` fails): the env override, else the first executable on PATH. Outside CI a missing
 * tool gives undefined and the test skips; under CI (`CI` set) it throws, so a green CI run never
 * rests on a skipped check.
 */
export function testTool(name: string, options: TestToolOptions = {}): string | undefined {
  const override = options.env ? process.env[options.env] : undefined;
  const found = override
    ? executable(override)
      ? override
      : undefined
    : (process.env.PATH ?? '')
        .split(path.delimiter)
        .filter(Boolean)
        .map((dir) => path.join(dir, name))
        .find(executable);
  if (!found && process.env.CI) {
    const where = override ? `${options.env}=${override} is not an executable` : `${name} is not on PATH`;
    throw new Error(`${where}, and CI is set: a test that needs it must not skip under CI${options.install ? ` (${options.install})` : ''}`);
  }
  return found;
}
