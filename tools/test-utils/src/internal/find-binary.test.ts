import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBinary, findPostgresBinDir, requireBinary } from './find-binary';

// Made in beforeAll, not at import: `vitest list` imports test files without running hooks.
let root = '';
beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'agentbus-find-binary-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function tool(dir: string, name: string, executable = true): void {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  writeFileSync(file, '#!/bin/sh\n');
  chmodSync(file, executable ? 0o755 : 0o644);
}

describe('findBinary', () => {
  it('searches PATH, then the extra dirs, skipping non-executables', () => {
    const a = path.join(root, 'a');
    const b = path.join(root, 'b');
    tool(a, 'thing', false);
    tool(b, 'thing');
    expect(findBinary('thing', { PATH: a }, [b])).toBe(path.join(b, 'thing'));
    expect(findBinary('thing', { PATH: `${a}${path.delimiter}${b}` }, [])).toBe(path.join(b, 'thing'));
    expect(findBinary('thing', {}, [a])).toBeUndefined();
    expect(findBinary('sh')).toBeDefined();
  });

  it('requireBinary names the package to install when missing', () => {
    expect(() => requireBinary('no-such-tool', ['pkg-a', 'pkg-b'], { PATH: root })).toThrow('no-such-tool not found: apt-get install pkg-a pkg-b');
    expect(requireBinary('sh', [])).toMatch(/\/sh$/);
  });
});

describe('findPostgresBinDir', () => {
  it('takes the newest versioned Debian dir', () => {
    const lib = path.join(root, 'lib');
    for (const version of ['9.6', '15', '13']) {
      tool(path.join(lib, version, 'bin'), 'initdb');
      tool(path.join(lib, version, 'bin'), 'postgres');
    }
    tool(path.join(lib, '17', 'bin'), 'initdb'); // no postgres: a broken install is skipped
    expect(findPostgresBinDir({ PATH: '' }, [path.join(root, 'missing'), lib])).toBe(path.join(lib, '15', 'bin'));
  });

  it('prefers initdb on PATH when postgres sits beside it', () => {
    const bin = path.join(root, 'pathbin');
    tool(bin, 'initdb');
    tool(bin, 'postgres');
    expect(findPostgresBinDir({ PATH: bin }, [])).toBe(bin);
    const lonely = path.join(root, 'lonely');
    tool(lonely, 'initdb');
    expect(findPostgresBinDir({ PATH: lonely }, [path.join(root, 'missing')])).toBe(
      findPostgresBinDir({ PATH: '' }, [path.join(root, 'missing')]),
    );
  });
});
