// typescript-eslint with its type-checked rules over the TypeScript (src, tests, config);
// Prettier owns layout, so no stylistic rules here.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'bin/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      // Errors are user-facing one-liners: `${error}` of an unknown is how a message is built.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // Prettier wraps code at 140 but never splits a string; this holds the width for those too.
      'max-len': ['error', { code: 140, ignoreRegExpLiterals: true, ignoreUrls: true }],
      // Every command action is async by contract (Action); some finish without awaiting anything.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Tests read JSON the binary printed and assert on it with expect(): `any` is the honest type there.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      // ANSI escape codes are what the colour tests look for.
      'no-control-regex': 'off',
      // Expected messages are quoted whole.
      'max-len': ['error', { code: 140, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true }],
    },
  },
  {
    // The scripts (bench/, scripts/, testbed/) are plain JavaScript run by Node: the recommended
    // rules without type information.
    files: ['**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node },
    rules: { 'max-len': ['error', { code: 140, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true }] },
  },
);
