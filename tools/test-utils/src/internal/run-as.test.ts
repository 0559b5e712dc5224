import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lookupUser, postgresRunAs } from './run-as';

// Made in beforeAll, not at import: `vitest list` imports test files without running hooks.
let root = '';
beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'agentbus-run-as-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function passwd(name: string, text: string): string {
  const file = path.join(root, name);
  writeFileSync(file, text);
  return file;
}

describe('postgresRunAs', () => {
  let both = '';
  let nobodyOnly = '';
  beforeAll(() => {
    both = passwd('both', 'root:x:0:0::/root:/bin/sh\nnobody:x:65534:65534::/:/sbin/nologin\npostgres:x:101:104::/var/lib/postgresql:/bin/sh\n');
    nobodyOnly = passwd('nobody', 'nobody:x:65534:65534::/:/sbin/nologin\n');
  });

  it('runs as ourselves unless root', async () => {
    expect(await postgresRunAs(false, both)).toBeUndefined();
  });

  it('as root, prefers the postgres user, then nobody', async () => {
    expect(await postgresRunAs(true, both)).toEqual({ name: 'postgres', uid: 101, gid: 104 });
    expect(await postgresRunAs(true, nobodyOnly)).toEqual({ name: 'nobody', uid: 65534, gid: 65534 });
  });

  it('reads users from a passwd file', () => {
    expect(lookupUser('root', both)).toEqual({ name: 'root', uid: 0, gid: 0 });
    expect(lookupUser('ghost', both)).toBeUndefined();
    expect(lookupUser('root', path.join(root, 'missing'))).toBeUndefined();
  });
});
