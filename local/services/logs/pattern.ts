/**
 * CloudWatch Logs filter patterns, the part a person (and `autopilot logs`) writes against JSON log
 * lines and plain text: FilterLogEvents' `filterPattern`.
 *
 * Sources (CloudWatch Logs User Guide, "Filter pattern syntax for metric filters, subscription
 * filters, filter log events"): https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
 * and "Using filter patterns to match terms in JSON log events":
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/matching-terms-json-log-events.html
 *
 * JSON patterns, `{ SELECTOR OP VALUE }` joined by `&&` and `||`, grouped with parentheses:
 *
 *   pattern                                                   line                                  match
 *   { $.level = "error" }                                     {"level":"error","msg":"x"}           yes
 *   { $.service = "prod/web" && $.level = "warn" }            {"level":"info","service":"prod/web"} no
 *   { $.service = "prod/*" }                                  {"service":"prod/web"}                yes (* is a wildcard)
 *   { $.level = "info" || ($.level = "warn" && $.n > 2) }     {"level":"warn","n":3}                yes
 *   { $.error.name = "ThrottlingException" }                  {"error":{"name":"ThrottlingException"}} yes
 *   { $.level != "info" }                                     {"level":"warn"}                      yes
 *   { $.level != "info" }                                     {"msg":"no level"}                    no (a missing field matches nothing)
 *   { $.level = "error" }                                     START RequestId: 1 Version: $LATEST   no (not JSON)
 *
 * Term patterns on any line, case-sensitive: `ERROR` (contains it), `ERROR Throttling` (both),
 * `"Task timed out"` (the phrase), `?ERROR ?WARN` (either), `ERROR -Throttling` (the first, not the
 * second). An empty pattern matches every line.
 *
 * What the local CloudWatch Logs does not parse (space-delimited `[a, b]` patterns, `IS NULL`,
 * `NOT EXISTS`, array selectors, regular expressions) is refused with InvalidParameterException
 * naming it, never matched by a guess.
 */

type Json = unknown;

export type Matcher = (message: string) => boolean;

export class PatternError extends Error {
  override name = 'PatternError';
}

/** Compiles a filter pattern; throws PatternError for one it cannot read. */
export function compilePattern(pattern: string | undefined): Matcher {
  const text = (pattern ?? '').trim();
  if (text === '') return () => true;
  if (text.startsWith('{')) {
    const expr = new JsonPatternParser(text).parse();
    return (message) => {
      let doc: Json;
      try {
        doc = JSON.parse(message);
      } catch {
        return false;
      }
      return doc !== null && typeof doc === 'object' && evaluate(expr, doc);
    };
  }
  if (text.startsWith('['))
    throw new PatternError('space-delimited patterns ([...]) are not supported locally');
  if (text.startsWith('%'))
    throw new PatternError('regular expression patterns (%...%) are not supported locally');
  return termMatcher(text);
}

/** Plain terms: all must appear, `?t` any of them, `-t` none, `"a b"` a phrase. */
function termMatcher(text: string): Matcher {
  const all: string[] = [];
  const any: string[] = [];
  const none: string[] = [];
  const re = /([?-]?)(?:"((?:[^"\\]|\\.)*)"|(\S+))/g;
  for (const m of text.matchAll(re)) {
    const term = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!;
    if (m[1] === '?') any.push(term);
    else if (m[1] === '-') none.push(term);
    else all.push(term);
  }
  return (message) =>
    all.every((t) => message.includes(t)) &&
    (any.length === 0 || any.some((t) => message.includes(t))) &&
    !none.some((t) => message.includes(t));
}

type Op = '=' | '!=' | '<' | '>' | '<=' | '>=';
type Expr =
  | { kind: 'and' | 'or'; left: Expr; right: Expr }
  | { kind: 'compare'; path: string[]; op: Op; value: string };

class JsonPatternParser {
  private i = 0;
  constructor(private readonly text: string) {}

  parse(): Expr {
    this.expect('{');
    const expr = this.or();
    this.expect('}');
    this.space();
    if (this.i < this.text.length) this.fail(`unexpected "${this.text.slice(this.i)}" after the closing }`);
    return expr;
  }

  private or(): Expr {
    let left = this.and();
    while (this.take('||')) left = { kind: 'or', left, right: this.and() };
    return left;
  }

  private and(): Expr {
    let left = this.unary();
    while (this.take('&&')) left = { kind: 'and', left, right: this.unary() };
    return left;
  }

  private unary(): Expr {
    if (this.take('(')) {
      const inner = this.or();
      this.expect(')');
      return inner;
    }
    return this.compare();
  }

  private compare(): Expr {
    this.space();
    const selector = /^\$((?:\.[A-Za-z0-9_@-]+)+)/.exec(this.text.slice(this.i));
    if (!selector) this.fail('expected a selector such as $.level');
    this.i += selector[0].length;
    if (this.text[this.i] === '[') this.fail('array selectors ($.a[0]) are not supported locally');
    const path = selector[1]!.slice(1).split('.');
    this.space();
    const op = /^(!=|<=|>=|=|<|>)/.exec(this.text.slice(this.i))?.[1] as Op | undefined;
    if (!op) {
      if (/^(IS|NOT)\b/i.test(this.text.slice(this.i)))
        this.fail('IS TRUE/FALSE/NULL and NOT EXISTS are not supported locally');
      this.fail(`expected =, !=, <, >, <= or >= after $.${path.join('.')}`);
    }
    this.i += op.length;
    this.space();
    if (this.text[this.i] === '"') {
      const m = /^"((?:[^"\\]|\\.)*)"/.exec(this.text.slice(this.i));
      if (!m) this.fail('a quoted value is not closed');
      this.i += m[0].length;
      return { kind: 'compare', path, op, value: m[1]!.replace(/\\(.)/g, '$1') };
    }
    const bare = /^[^\s()&|}]+/.exec(this.text.slice(this.i));
    if (!bare) this.fail(`expected a value after ${op}`);
    this.i += bare[0].length;
    if (bare[0].startsWith('%')) this.fail('regular expression values (%...%) are not supported locally');
    return { kind: 'compare', path, op, value: bare[0] };
  }

  private space(): void {
    while (this.i < this.text.length && /\s/.test(this.text[this.i]!)) this.i++;
  }

  private take(token: string): boolean {
    this.space();
    if (!this.text.startsWith(token, this.i)) return false;
    this.i += token.length;
    return true;
  }

  private expect(token: string): void {
    if (!this.take(token)) this.fail(`expected "${token}"`);
  }

  private fail(why: string): never {
    throw new PatternError(`${why} at character ${this.i + 1} of ${this.text}`);
  }
}

function evaluate(expr: Expr, doc: Json): boolean {
  if (expr.kind !== 'compare')
    return expr.kind === 'and'
      ? evaluate(expr.left, doc) && evaluate(expr.right, doc)
      : evaluate(expr.left, doc) || evaluate(expr.right, doc);
  let value: Json = doc;
  for (const key of expr.path) {
    if (value === null || typeof value !== 'object' || !(key in value)) return false;
    value = (value as Record<string, Json>)[key];
  }
  if (value === null || typeof value === 'object') return false;
  if (expr.op === '=' || expr.op === '!=') {
    const equal = wildcard(expr.value).test(String(value));
    return expr.op === '=' ? equal : !equal;
  }
  const a = Number(value);
  const b = Number(expr.value);
  if (typeof value !== 'number' || Number.isNaN(b)) return false;
  if (expr.op === '<') return a < b;
  if (expr.op === '>') return a > b;
  if (expr.op === '<=') return a <= b;
  return a >= b;
}

/** `prod/*` → /^prod\/.*$/: `*` is the one wildcard in a JSON pattern's value. */
function wildcard(value: string): RegExp {
  const escaped = value.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`);
}
