/** What a command may touch of the outside: its output streams. Tests pass their own. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  /** True when stderr is a terminal: status lines then rewrite themselves in place. */
  statusInPlace: boolean;
}

export const processIO: CliIO = {
  out: (t) => void process.stdout.write(t.endsWith('\n') ? t : t + '\n'),
  err: (t) => void process.stderr.write(t.endsWith('\n') ? t : t + '\n'),
  statusInPlace: Boolean(process.stderr.isTTY),
};
