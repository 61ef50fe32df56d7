import { execFileSync } from 'node:child_process';
import path from 'node:path';

describe('generated files', () => {
  it('are current with the OpenAPI specs (run `npm run generate` if not)', () => {
    const script = path.resolve(__dirname, '../../scripts/generate.mjs');
    let output = '';
    try {
      execFileSync(process.execPath, [script, '--check'], {
        encoding: 'utf8',
        stdio: 'pipe',
      });
    } catch (e) {
      const failed = e as { stdout?: string; stderr?: string };
      output = `${failed.stdout}${failed.stderr}`;
    }
    expect(output).toBe('');
  });
});
