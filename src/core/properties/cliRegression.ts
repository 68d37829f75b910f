/**
 * The regression test of an invariant violation that is not plain HTTP (a fault, SQL or Redis steps, a statistic
 * over a whole run): a test in the user's language that runs the replay with the CLI and asserts exit 0, i.e.
 * that the invariant holds on that case. It needs `chaos-testing` on PATH (or CHAOS_TESTING_CLI) and reads
 * BASE_URL like the generated suites; the CLI resolves option files against the directory the test runs in.
 */
import { createHash } from 'node:crypto';
import type { Dialect } from '../generate/dialect';

/** Seconds a replay may take (an invariant bounds its own trials; this only stops a hung one). */
const TIMEOUT_S = 600;

/** `args` is the CLI's argv after `chaos-testing`; the value after `--target` is BASE_URL when set. */
export function renderCliRegression(d: Dialect, testName: string, className: string, args: string[], about: string): string {
  const at = args.indexOf('--target') + 1;
  const target = at > 0 ? args[at] : 'http://127.0.0.1';
  const list = (q: (s: string) => string, baseUrl: string): string => args.map((a, i) => (i === at && at > 0 ? baseUrl : q(a))).join(', ');
  const q = (s: string): string => d.str(s);
  let body: string;
  switch (d.language) {
    case 'typescript':
      body = [
        `import assert from 'node:assert/strict';`,
        `import { spawnSync } from 'node:child_process';`,
        d.framework === 'vitest' ? `import { test } from 'vitest';` : `import { test } from 'node:test';`,
        '',
        `const BASE_URL = process.env.BASE_URL ?? ${q(target)};`,
        `const CLI = process.env.CHAOS_TESTING_CLI ?? 'chaos-testing';`,
        '',
        `// ${about}`,
        `test(${q(testName)}, { timeout: ${TIMEOUT_S * 1000} }, () => {`,
        `  const r = spawnSync(CLI, [${list(q, 'BASE_URL')}], { encoding: 'utf8', timeout: ${TIMEOUT_S * 1000}, shell: process.platform === 'win32' });`,
        `  assert.equal(r.status, 0, \`\${r.error ?? ''}\${r.stdout}\${r.stderr}\`);`,
        '});',
      ].join('\n');
      break;
    case 'python':
      body = [
        'import os',
        'import subprocess',
        '',
        `BASE_URL = os.environ.get("BASE_URL", ${q(target)})`,
        'CLI = os.environ.get("CHAOS_TESTING_CLI", "chaos-testing")',
        '',
        '',
        `def test_${testName}():`,
        `    """${about.replace(/"/g, "'")}"""`,
        `    r = subprocess.run([CLI, ${list(q, 'BASE_URL')}], capture_output=True, text=True, timeout=${TIMEOUT_S})`,
        '    assert r.returncode == 0, r.stdout + r.stderr',
      ].join('\n');
      break;
    case 'go':
      body = [
        'package regression',
        '',
        'import (',
        '\t"os"',
        '\t"os/exec"',
        '\t"testing"',
        ')',
        '',
        'func env(name, fallback string) string {',
        '\tif v := os.Getenv(name); v != "" {',
        '\t\treturn v',
        '\t}',
        '\treturn fallback',
        '}',
        '',
        `// ${about}`,
        `func Test${className}(t *testing.T) {`,
        `\tbaseURL := env("BASE_URL", ${q(target)})`,
        `\tout, err := exec.Command(env("CHAOS_TESTING_CLI", "chaos-testing"), ${list(q, 'baseURL')}).CombinedOutput()`,
        '\tif err != nil {',
        '\t\tt.Fatalf("%v\\n%s", err, out)',
        '\t}',
        '}',
      ].join('\n');
      break;
    case 'rust':
      // Laid out as rustfmt would (the runner checks formatting): one argument per line.
      body = [
        'use std::process::Command;',
        '',
        `const TARGET: &str = ${q(target)};`,
        '',
        `// ${about}`,
        '#[test]',
        `fn ${testName}() {`,
        '    let base_url = std::env::var("BASE_URL").unwrap_or_else(|_| TARGET.to_string());',
        '    let cli = std::env::var("CHAOS_TESTING_CLI").unwrap_or_else(|_| "chaos-testing".to_string());',
        '    let out = Command::new(cli)',
        '        .args([',
        ...args.map((a, i) => `            ${i === at && at > 0 ? 'base_url.as_str()' : q(a)},`),
        '        ])',
        '        .output()',
        '        .expect("chaos-testing runs");',
        '    assert!(',
        '        out.status.success(),',
        '        "{}{}",',
        '        String::from_utf8_lossy(&out.stdout),',
        '        String::from_utf8_lossy(&out.stderr)',
        '    );',
        '}',
      ].join('\n');
      break;
    default:
      body = [
        'package properties;',
        '',
        'import static org.junit.jupiter.api.Assertions.assertEquals;',
        '',
        'import java.util.List;',
        'import org.junit.jupiter.api.Test;',
        '',
        `/** ${about} */`,
        `class ${className}Test {`,
        '  @Test',
        `  void ${testName}() throws Exception {`,
        `    String baseUrl = System.getenv().getOrDefault("BASE_URL", ${q(target)});`,
        '    String cli = System.getenv().getOrDefault("CHAOS_TESTING_CLI", "chaos-testing");',
        `    Process p = new ProcessBuilder(List.of(cli, ${list(q, 'baseUrl')})).redirectErrorStream(true).start();`,
        '    String out = new String(p.getInputStream().readAllBytes());',
        '    assertEquals(0, p.waitFor(), out);',
        '  }',
        '}',
      ].join('\n');
  }
  body += '\n';
  const hash = createHash('sha256').update(body).digest('hex');
  return `${d.comment(`chaos-testing:generated sha256=${hash} (edit freely: a changed file is never overwritten silently)`)}\n${body}`;
}
