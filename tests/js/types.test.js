// The TypeScript declarations (js/index.d.ts) compile against the documented
// usage and reject misuse (tests/types/usage.ts uses @ts-expect-error, which
// fails the compile if the misuse were accepted).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

test('the type declarations accept the documented usage and reject misuse', () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const tsc = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));
  let output = '';
  try {
    execFileSync(process.execPath, [tsc, '-p', 'tests/types'], { cwd: root, encoding: 'utf8' });
  } catch (err) {
    output = `${err.stdout}${err.stderr}`;
  }
  expect(output).toBe('');
}, 60000);
