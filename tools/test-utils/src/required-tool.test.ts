import { mkdtempSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { testTool } from './required-tool';

const saved = { PATH: process.env.PATH, CI: process.env.CI, TOOL_X: process.env.TOOL_X };
afterEach(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe('testTool', () => {
  it('finds a binary on PATH or through its env override, like command -v', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tool-'));
    try {
      const bin = path.join(dir, 'faketool');
      writeFileSync(bin, '#!/bin/sh\n');
      chmodSync(bin, 0o755);
      delete process.env.CI;
      process.env.PATH = `/nonexistent${path.delimiter}${dir}`;
      expect(testTool('faketool')).toBe(bin);
      process.env.TOOL_X = bin;
      expect(testTool('other', { env: 'TOOL_X' })).toBe(bin);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives undefined when missing outside CI, and throws naming the install under CI', () => {
    process.env.PATH = '/nonexistent';
    delete process.env.CI;
    expect(testTool('no-such-tool')).toBeUndefined();
    process.env.CI = 'true';
    expect(() => testTool('no-such-tool', { install: 'apt-get install x' })).toThrow(/no-such-tool is not on PATH, and CI is set.*apt-get install x/);
    process.env.TOOL_X = '/nonexistent/tool';
    expect(() => testTool('tool', { env: 'TOOL_X' })).toThrow(/TOOL_X=\/nonexistent\/tool is not an executable/);
  });
});
