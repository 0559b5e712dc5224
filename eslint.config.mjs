import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import nx from '@nx/eslint-plugin';

// Layers: apps -> packages; swarm/reliability/metrics/bridge -> transport -> schema.
function boundaries(allow) {
  return [
    'error',
    {
      enforceBuildableLibDependency: false,
      allow,
      depConstraints: [
        { sourceTag: 'layer:schema', onlyDependOnLibsWithTags: [] },
        { sourceTag: 'layer:transport', onlyDependOnLibsWithTags: ['layer:schema'] },
        { sourceTag: 'layer:service', onlyDependOnLibsWithTags: ['layer:schema', 'layer:transport', 'layer:service'] },
        { sourceTag: 'layer:app', onlyDependOnLibsWithTags: ['layer:schema', 'layer:transport', 'layer:service'] },
        // The launcher (npm start) composes the apps into one process.
        { sourceTag: 'layer:launcher', onlyDependOnLibsWithTags: ['*'] },
        {
          sourceTag: 'layer:tool',
          onlyDependOnLibsWithTags: ['layer:schema', 'layer:transport', 'layer:service', 'layer:tool'],
        },
      ],
    },
  ];
}

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/coverage/**', '**/node_modules/**', '**/.nx/**', 'bench/results/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mts', '**/*.mjs', '**/*.js'],
    plugins: { '@nx': nx },
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        structuredClone: 'readonly',
        performance: 'readonly',
        fetch: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // Layers: apps -> packages; swarm/reliability/metrics/bridge -> transport -> schema.
      '@nx/enforce-module-boundaries': boundaries([]),
      // Deep imports into another package are forbidden: only its public entry point.
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@agentbus/*/src/*', '@agentbus/*/src', '@agentbus/*/dist/*', '**/packages/*/src/**', '**/apps/*/src/**'],
              message: "Import a package by its name only (its src/index.ts is the public API).",
            },
          ],
        },
      ],
    },
  },
  {
    // Tests may use the workspace test harness; it never ships.
    files: ['**/*.test.ts', '**/test/**/*.ts', '**/vitest.config.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@nx/enforce-module-boundaries': boundaries(['@agentbus/test-utils']),
    },
  },
);
