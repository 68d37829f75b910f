/** One Dockerfile instruction; continuation lines are joined, `line` is where it starts (1-based). */
export interface Instruction {
  keyword: string;
  args: string;
  line: number;
  endLine: number;
  /** Index of the build stage (0 for the first FROM). */
  stage: number;
}

/** A small Dockerfile parser: comments, blank lines, backslash continuations, build stages. */
export function parseDockerfile(text: string): Instruction[] {
  const lines = text.split(/\r?\n/);
  const out: Instruction[] = [];
  let stage = -1;
  for (let i = 0; i < lines.length; i++) {
    const first = lines[i].trim();
    if (!first || first.startsWith('#')) continue;
    const start = i;
    let joined = first;
    // Comment lines inside a continuation are dropped and the continuation goes on (as docker build does).
    while (joined.endsWith('\\') && i + 1 < lines.length) {
      joined = joined.slice(0, -1);
      let next = lines[++i].trim();
      while (next.startsWith('#') && i + 1 < lines.length) next = lines[++i].trim();
      if (!next.startsWith('#')) joined += ' ' + next;
    }
    const m = /^(\w+)\s*(.*)$/s.exec(joined);
    if (!m) continue;
    const keyword = m[1].toUpperCase();
    if (keyword === 'FROM') stage++;
    out.push({ keyword, args: m[2].trim(), line: start + 1, endLine: i + 1, stage: Math.max(stage, 0) });
  }
  return out;
}

/** The instructions of the last build stage (the image that ships). */
export function finalStage(instructions: Instruction[]): Instruction[] {
  const last = Math.max(0, ...instructions.map((i) => i.stage));
  return instructions.filter((i) => i.stage === last);
}
