import { defineConfig, type Options } from 'tsup';

/** The one build every package uses: ESM + .d.ts from src/index.ts, Lua scripts inlined as text. */
export function packageBuildConfig(overrides: Options = {}): Options | Options[] {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    dts: true,
    sourcemap: true,
    clean: true,
    splitting: false,
    loader: { '.lua': 'text' },
    ...overrides,
  }) as Options;
}
