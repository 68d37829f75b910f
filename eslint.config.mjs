// Lint: type-aware rules that catch real bugs (floating promises), and the layer rules: src/core never imports vscode;
// webview/ is browser code that imports its own modules and UI libraries, and only types from anywhere else.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.cache/**', 'bench/results/**', 'test/fixtures/**', '**/*.mjs', '**/*.js'] },
  ...tseslint.configs.recommended,
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'webview/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] }] }],
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // CommonJS examples (examples/readiness/api.jest.test.cjs load the package as a jest user would: require()).
  { files: ['**/*.cjs'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
  {
    files: ['src/core/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'src/core must not depend on the editor (DESIGN.md layers).' }] }] },
  },
  {
    files: ['webview/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'webview/ runs in the browser; it talks to the host through webview/protocol.ts.' }],
        patterns: [
          { group: ['node:*'], message: 'webview/ runs in the browser: no Node built-ins.' },
          { group: ['../*'], allowTypeImports: true, message: 'webview/ may import only types from outside webview/ (DESIGN.md layers).' },
        ],
      }],
      'no-restricted-globals': ['error',
        ...['process', 'Buffer', 'require', '__dirname', '__filename', 'global', 'setImmediate', 'module'].map((name) => ({ name, message: 'webview/ runs in the browser.' })),
      ],
      'no-restricted-syntax': ['error',
        { selector: "AssignmentExpression[left.property.name=/^(innerHTML|outerHTML)$/]", message: 'Captured traffic is untrusted: build nodes with webview/dom.ts (textContent), never innerHTML.' },
        { selector: "CallExpression[callee.property.name='insertAdjacentHTML']", message: 'Captured traffic is untrusted: never insertAdjacentHTML.' },
      ],
    },
  },
);
