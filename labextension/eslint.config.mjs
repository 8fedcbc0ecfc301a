// Lint for the sidebar: typescript-eslint's recommended rules, no console output, and no HTML
// strings into the DOM (everything from the server is data and is set as text).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['lib/**', 'node_modules/**', '*.mjs', '*.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-console': 'error',
      eqeqeq: ['error', 'smart'],
      'no-restricted-properties': [
        'error',
        { property: 'innerHTML', message: 'Set data as text (textContent), never as HTML.' },
        { property: 'outerHTML', message: 'Set data as text (textContent), never as HTML.' },
        { property: 'insertAdjacentHTML', message: 'Set data as text (textContent), never as HTML.' }
      ],
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.property.name='write'][callee.object.name='document']", message: 'No document.write.' }
      ],
      '@typescript-eslint/no-unused-vars': ['error', { args: 'none' }],
      '@typescript-eslint/no-namespace': 'off'
    }
  }
);
