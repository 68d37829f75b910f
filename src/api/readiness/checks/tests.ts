/** A generated test suite run by its language's own runner, or any command: exit 0 and no failed test passes. */
import { spawn } from 'node:child_process';
import { runSuite } from '../../../core/generate/runners';
import type { TestsCheckSpec } from '../../../core/readiness/types';
import type { CheckBody, CheckContext } from './context';

const MAX_OUTPUT = 256 * 1024;

export async function runTestsCheck(check: TestsCheckSpec, ctx: CheckContext): Promise<CheckBody> {
  if (check.command !== undefined) return runCommand(check, ctx);
  const r = await runSuite(check.language!, check.dir!, { baseUrl: ctx.suite.target, timeoutMs: check.timeoutMs, signal: ctx.signal });
  const figure = `${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped of ${r.total}`;
  if (r.ok) return { status: 'passed', figure, failures: [] };
  const why = r.timedOut ? `timed out after ${check.timeoutMs} ms` : r.aborted ? 'stopped' : r.failed ? `${r.failed} of ${r.total} test(s) failed` : `the runner exited with ${r.exitCode} and ran no test`;
  return { status: r.failed ? 'failed' : 'error', figure, failures: [`${why} (${r.commands.at(-1) ?? check.language}): ${lastLines(r.output)}`] };
}

function runCommand(check: TestsCheckSpec, ctx: CheckContext): Promise<CheckBody> {
  return new Promise((resolve) => {
    const env = { ...process.env, BASE_URL: ctx.suite.target, CHAOS_BASE_URL: ctx.suite.target };
    // Its own process group: a timeout or a cancel ends the command's children too.
    const child = spawn(check.command!, { shell: true, detached: true, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (c: Buffer): void => {
      if (output.length < MAX_OUTPUT) output += c.toString();
      for (const line of c.toString().split('\n')) if (line.trim()) ctx.log(line);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let ended: string | undefined;
    const kill = (why: string): void => {
      ended ??= why;
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        /* already gone */
      }
    };
    const timer = setTimeout(() => kill(`timed out after ${check.timeoutMs} ms`), check.timeoutMs);
    const onAbort = (): void => kill('stopped');
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    const finish = (code: number | null, error?: string): void => {
      clearTimeout(timer);
      ctx.signal.removeEventListener('abort', onAbort);
      const figure = error ? 'did not start' : `exit code ${code ?? 'none'}`;
      if (code === 0 && !ended) return resolve({ status: 'passed', figure, failures: [] });
      resolve({ status: error ? 'error' : 'failed', figure, failures: [`${check.command} ${error ?? ended ?? `exited with ${code}`}: ${lastLines(output)}`] });
    };
    child.once('error', (e) => finish(null, `could not start: ${e.message}`));
    child.once('close', (code) => finish(code));
  });
}

/** The last few non-empty lines of a runner's output, joined into one. */
function lastLines(output: string, n = 3): string {
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.slice(-n).join(' | ').slice(0, 400) || 'no output';
}
