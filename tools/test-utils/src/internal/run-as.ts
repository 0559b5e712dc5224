import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { TestBackendUnavailableError } from '../backend-unavailable-error';
import { isRoot } from './apt-install';
import { findBinary } from './find-binary';

const run = promisify(execFile);

export interface RunAs {
  name: string;
  uid: number;
  gid: number;
}

/** The user's ids from a passwd file; getent would also see LDAP, but test boxes have local users. */
export function lookupUser(name: string, passwdFile = '/etc/passwd'): RunAs | undefined {
  let text: string;
  try {
    text = readFileSync(passwdFile, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name && uid !== undefined && gid !== undefined) return { name, uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

/**
 * Who runs PostgreSQL: undefined (ourselves) unless we are root, which postgres refuses to
 * run as. Then the 'postgres' system user (Debian's package creates it), else 'nobody', else
 * a 'postgres' system user created with useradd.
 */
export async function postgresRunAs(root: boolean = isRoot(), passwdFile = '/etc/passwd'): Promise<RunAs | undefined> {
  if (!root) return undefined;
  const existing = lookupUser('postgres', passwdFile) ?? lookupUser('nobody', passwdFile);
  if (existing !== undefined) return existing;
  const useradd = findBinary('useradd');
  if (useradd !== undefined) {
    await run(useradd, ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']).catch(() => undefined);
    const created = lookupUser('postgres', passwdFile);
    if (created !== undefined) return created;
  }
  throw new TestBackendUnavailableError('PostgreSQL will not run as root and there is no postgres or nobody user: useradd --system postgres');
}
