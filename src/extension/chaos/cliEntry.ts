import * as fs from 'node:fs';
import * as path from 'node:path';

/** How to start the `chaos-testing` CLI from the extension: a script and node flags for it. */
export interface CliEntry {
  file: string;
  execArgv: string[];
}

/**
 * dist/cli.js beside the bundle (the extension is bundled into dist/extension.js, as the engine child is found
 * beside it in engineClient.ts), or the CLI's source under tsx when the extension runs from source in tests.
 */
export function cliEntry(): CliEntry {
  const js = path.join(__dirname, 'cli.js');
  if (fs.existsSync(js)) return { file: js, execArgv: [] };
  return { file: path.resolve(__dirname, '..', '..', 'cli', 'index.ts'), execArgv: ['--import', 'tsx'] };
}
