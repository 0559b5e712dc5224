import { defineConfig, type UserConfig } from 'vitest/config';

/** Loads `.lua` files as strings, as tsup's `text` loader does for the build. */
type VitePlugin = NonNullable<UserConfig['plugins']>[number];

export function luaAsText(): VitePlugin {
  return {
    name: 'agentbus-lua-as-text',
    transform(code: string, id: string) {
      if (!id.endsWith('.lua')) return null;
      return { code: `export default ${JSON.stringify(code)};`, map: null };
    },
  };
}

export interface PackageTestOptions {
  /** Minimum line coverage for the package. Default 90. */
  lines?: number;
  /**
   * Minimum branch coverage for the package. Default 80: lines alone pass a file whose every
   * line runs on one side of each `if`, so the error paths can go untested unnoticed.
   */
  branches?: number;
  /**
   * Why in-process coverage cannot see this project's code (it runs in child processes). Set,
   * coverage is off: a floor over nothing measured would read as a gate and hold none.
   */
  noCoverage?: string;
  /** Files run once before the suite (e.g. the test harness that starts Redis). */
  globalSetup?: string[];
  /** Extra coverage excludes, beyond tests and type-only files. */
  coverageExclude?: string[];
  /** Per-test timeout in ms. Default 20000. */
  testTimeout?: number;
}

/**
 * The one vitest configuration every package and app uses: sources resolved through the
 * `@agentbus/source` export condition (no build needed to test), v8 coverage held at
 * >= 90% lines and >= 80% branches per package.
 */
export function packageTestConfig(options: PackageTestOptions = {}): UserConfig {
  return defineConfig({
    plugins: [luaAsText()],
    resolve: { conditions: ['@agentbus/source'] },
    ssr: { resolve: { conditions: ['@agentbus/source'] } },
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      environment: 'node',
      testTimeout: options.testTimeout ?? 20_000,
      hookTimeout: 60_000,
      // expect.poll returns as soon as its check passes; its default bound of 1 s is a window a
      // stall of a loaded machine (2 shared cores) can close, failing a test that was right.
      expect: { poll: { timeout: 10_000 } },
      globalSetup: options.globalSetup ?? [],
      // Under CI every project also writes its results, so .ci/check-skips.mjs can refuse any
      // skipped test that is not on the allowlist (.ci/allowed-skips.txt).
      reporters: process.env.CI ? ['default', 'json'] : ['default'],
      ...(process.env.CI ? { outputFile: { json: '.vitest-results.json' } } : {}),
      coverage: {
        provider: 'v8',
        enabled: options.noCoverage === undefined,
        include: ['src/**/*.ts'],
        exclude: [
          'src/**/*.test.ts',
          'src/**/*.d.ts',
          'src/**/types.ts',
          ...(options.coverageExclude ?? []),
        ],
        reporter: ['text-summary', 'json-summary'],
        thresholds: { lines: options.lines ?? 90, branches: options.branches ?? 80 },
      },
    },
  }) as UserConfig;
}
