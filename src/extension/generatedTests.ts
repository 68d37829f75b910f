import * as path from 'node:path';
import type { VSCode, vscodeTypes } from './types';

/** How each generated suite runs from the editor: a shell command, and the problem matcher that reads failures. */
const RUNNERS: Record<string, { command: (file: string) => string; matcher: string }> = {
  'python-pytest': { command: (f) => `python3 -m pytest --tb=line -q ${quote(f)}`, matcher: '$chaos-pytest' },
  'typescript-vitest': { command: (f) => `npx vitest run ${quote(f)}`, matcher: '$chaos-node-test' },
  'typescript-node': { command: (f) => `npx tsx --test ${quote(f)}`, matcher: '$chaos-node-test' },
  'go-testing': { command: () => 'go test -count=1 ./tests/...', matcher: '$chaos-go-test' },
  'rust-ureq': { command: () => 'cargo test', matcher: '$chaos-rust-test' },
  // A Maven or Gradle project runs its own way; otherwise javac and JUnit's console launcher (Debian's junit5 paths).
  'java-junit5': {
    command: (f) =>
      `if [ -f pom.xml ]; then mvn -q test; elif [ -f gradlew ]; then ./gradlew test; elif [ -f build.gradle ] || [ -f build.gradle.kts ]; then gradle test; else ` +
      `mkdir -p .chaos/test-classes && javac -d .chaos/test-classes -cp "$(ls /usr/share/java/junit-jupiter-api.jar /usr/share/java/apiguardian-api.jar /usr/share/java/opentest4j.jar /usr/share/java/junit-platform-commons.jar 2>/dev/null | tr '\n' ':')" ${quote(f)} && ` +
      'java -jar /usr/share/java/junit-platform-console-standalone.jar --disable-banner --class-path .chaos/test-classes --scan-class-path; fi',
    matcher: '$chaos-junit',
  },
};

function quote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export const TASK_TYPE = 'chaos-testing';

/** A task that runs one generated suite against BASE_URL; failures land in the Problems view. */
export function generatedTestTask(vscode: VSCode, folder: vscodeTypes.WorkspaceFolder, dialect: string, file: string, baseUrl: string | undefined): vscodeTypes.Task | undefined {
  const runner = RUNNERS[dialect];
  if (!runner) return undefined;
  const relative = path.relative(folder.uri.fsPath, file) || file;
  const env: Record<string, string> = baseUrl ? { BASE_URL: baseUrl } : {};
  const task = new vscode.Task(
    { type: TASK_TYPE, dialect, file: relative },
    folder,
    `Run generated tests (${path.basename(file)})`,
    'Chaos Testing',
    new vscode.ShellExecution(runner.command(relative), { cwd: folder.uri.fsPath, env }),
    runner.matcher,
  );
  task.group = vscode.TaskGroup.Test;
  return task;
}
