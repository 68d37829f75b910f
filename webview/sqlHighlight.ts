/**
 * A small SQL highlighter: splits a statement into keyword, string, number, parameter, comment and plain runs,
 * drawn as spans (text only, through the DOM builder: no innerHTML). Enough to read a captured query; not a parser.
 */
import { el } from './dom';

export type SqlTokenKind = 'keyword' | 'string' | 'number' | 'param' | 'comment' | 'plain';

const KEYWORDS = new Set(`select from where and or not in is null as on join left right inner outer full cross using group by order
  having limit offset insert into values update set delete returning create table drop alter add column index primary key
  foreign references unique default begin commit rollback savepoint release transaction start distinct union all
  case when then else end exists between like ilike asc desc with recursive cascade if true false show use
  explain analyze copy grant revoke truncate view sequence procedure function trigger lock for share nowait skip locked
  count sum avg min max coalesce cast interval serial text integer int bigint varchar boolean timestamp`.split(/\s+/).filter(Boolean));

const TOKEN = /(--[^\n]*|\/\*[\s\S]*?(?:\*\/|$))|('(?:[^']|'')*'?|"(?:[^"]|"")*"?|`[^`]*`?)|(\$\d+|\?|:[A-Za-z_]\w*)|(\b\d+(?:\.\d+)?(?:e[+-]?\d+)?\b)|([A-Za-z_][\w$]*)/gi;

export function sqlTokens(sql: string): Array<{ kind: SqlTokenKind; text: string }> {
  const out: Array<{ kind: SqlTokenKind; text: string }> = [];
  let last = 0;
  const plain = (text: string): void => {
    if (!text) return;
    const prev = out[out.length - 1];
    if (prev?.kind === 'plain') prev.text += text;
    else out.push({ kind: 'plain', text });
  };
  for (const m of sql.matchAll(TOKEN)) {
    plain(sql.slice(last, m.index));
    last = m.index + m[0].length;
    if (m[1]) out.push({ kind: 'comment', text: m[0] });
    else if (m[2]) out.push({ kind: m[0].startsWith("'") ? 'string' : 'plain', text: m[0] });
    else if (m[3]) out.push({ kind: 'param', text: m[0] });
    else if (m[4]) out.push({ kind: 'number', text: m[0] });
    else if (KEYWORDS.has(m[0].toLowerCase())) out.push({ kind: 'keyword', text: m[0] });
    else plain(m[0]);
  }
  plain(sql.slice(last));
  return out;
}

/** The statement as a <pre> of highlighted spans. */
export function renderSql(sql: string, testid: string): HTMLElement {
  return el('pre', { class: 'ct-pre ct-sql', testid, attrs: { tabindex: 0 } },
    ...sqlTokens(sql).map((t) => (t.kind === 'plain' ? t.text : el('span', { class: `ct-sql-${t.kind}` }, t.text))));
}
