import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadHandler } from './load-handler';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../test/fixtures');

describe('loadHandler', () => {
  it('loads the exported handle function', async () => {
    expect(typeof (await loadHandler('handler.mjs', fixtures))).toBe('function');
  });

  it('says what to export when the module has no handle', async () => {
    await expect(loadHandler('no-handle.mjs', fixtures)).rejects.toThrow(/export async function handle/);
  });

  it('names the file that cannot be loaded', async () => {
    await expect(loadHandler('missing.mjs', fixtures)).rejects.toThrow(/cannot load handler module missing.mjs/);
  });
});
