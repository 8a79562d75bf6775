import tseslint from 'typescript-eslint';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import local from './tools/eslint-import-direction.js';

const root = path.dirname(fileURLToPath(import.meta.url));

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      '.runtime/**',
      'dist/**',
      'data/**',
      'test-artifacts/**',
      'bench/out/**',
      'controller/web/static/**',
    ],
  },
  ...tseslint.configs.recommended,
  {
    plugins: { local },
    rules: {
      'local/import-direction': ['error', { root }],
      'local/core-layers': ['error', { root }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-explicit-any': 'off',
      'no-console': 'off',
    },
  },
);
