/**
 * The ECS cluster query language, as a pure parser and evaluator.
 *
 * Source: Amazon ECS Developer Guide, "Cluster query language" / "Create expressions to define container
 * instances for Amazon ECS tasks" (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/cluster-query-language.html):
 *
 *   subject operator [argument]
 *
 * - Subjects: `agentConnected`, `agentVersion`, `attribute:<attribute-name>`, `ec2InstanceId`, `registeredAt`,
 *   `runningTasksCount`, `task:group`. Each documented subject lists its valid operators; those lists are enforced.
 * - Operators: `==`/`equals`, `!=`/`not_equals`, `>`/`greater_than`, `>=`/`greater_than_equal`, `<`/`less_than`,
 *   `<=`/`less_than_equal`, `exists`, `!exists`/`not_exists`, `in`, `!in`/`not_in`, `=~`/`matches`,
 *   `!~`/`not_matches`.
 * - `in`/`not_in` take an argument list `[a, b, ..., n]`; `matches`/`not_matches` take a Java regular
 *   expression (translated to a JavaScript RegExp, matched against the whole value as Java's `matches()` does).
 * - Compound expressions: `&&`/`and`, `||`/`or`, `!`/`not`, with parentheses for precedence.
 * - `registeredAt` date formats: 2018-06-18T22:28:28+00:00, 2018-06-18T22:28:28Z, 2018-06-18T22:28:28, 2018-06-18.
 *
 * Semantics the guide implies but does not spell out, chosen here:
 * - A comparison on a subject the instance does not have (an absent attribute, no tasks for `task:group`) is
 *   false for every operator except `!exists`. The guide's "attribute:stack != prod" example lists "the instances
 *   with the custom attribute "stack" unless the attribute value is "prod"", so instances without `stack` do not
 *   match `!=`; use `not(...)` to include them (as the guide's task anti-affinity example `not(task:group == database)`
 *   does).
 * - `task:group` has one value per task on the instance: `==`, `in`, `=~` and the ordering operators hold when
 *   any task's group satisfies them; `!=`, `not_in`, `!~` hold when no task's group satisfies the positive form.
 * - `and` binds tighter than `or`; `not`/`!` binds tightest.
 * - Errors throw {@link ClusterQueryError}, whose message names the problem and the 0-based character position.
 */

export type Operator =
  | '=='
  | '!='
  | '>'
  | '>='
  | '<'
  | '<='
  | 'exists'
  | '!exists'
  | 'in'
  | '!in'
  | '=~'
  | '!~';

export type Subject =
  | { kind: 'attribute'; name: string }
  | { kind: 'task:group' }
  | { kind: 'ec2InstanceId' }
  | { kind: 'agentConnected' }
  | { kind: 'agentVersion' }
  | { kind: 'registeredAt' }
  | { kind: 'runningTasksCount' };

export type QueryNode =
  | { type: 'and'; left: QueryNode; right: QueryNode }
  | { type: 'or'; left: QueryNode; right: QueryNode }
  | { type: 'not'; operand: QueryNode }
  | {
      type: 'compare';
      subject: Subject;
      op: Operator;
      /** Empty for exists/!exists, one element for single-argument operators, the list for in/!in. */
      args: string[];
      /** Compiled for =~ / !~. */
      regex?: RegExp;
      position: number;
    };

/** What an expression is evaluated against: one container instance. */
export interface QueryTarget {
  /** Every attribute of the instance, built-in (ecs.*) and custom. A name-only attribute has value ''. */
  attributes: Record<string, string>;
  /** The task group of each task on the instance, e.g. 'service:web' or 'family:batch'. */
  taskGroups: string[];
  ec2InstanceId?: string;
  agentConnected?: boolean;
  agentVersion?: string;
  registeredAt?: Date | string | number;
  runningTasksCount?: number;
}

export class ClusterQueryError extends Error {
  constructor(
    readonly problem: string,
    readonly position: number,
    readonly expression: string,
  ) {
    super(`Invalid cluster query expression at position ${position}: ${problem} (in "${expression}")`);
    this.name = 'ClusterQueryError';
  }
}

export interface ClusterQuery {
  readonly expression: string;
  readonly ast: QueryNode;
  matches(target: QueryTarget): boolean;
}

/** Parses `expression`; throws ClusterQueryError on a bad expression. */
export function compileClusterQuery(expression: string): ClusterQuery {
  const ast = new Parser(expression).parse();
  return { expression, ast, matches: (target) => evaluate(ast, target) };
}

/** Parses and evaluates in one go (throws ClusterQueryError on a bad expression). */
export function matchesClusterQuery(expression: string, target: QueryTarget): boolean {
  return compileClusterQuery(expression).matches(target);
}

// ---------------------------------------------------------------------------------------------------------------
// Parser

const OPERATOR_WORDS: Record<string, Operator> = {
  equals: '==',
  not_equals: '!=',
  greater_than: '>',
  greater_than_equal: '>=',
  less_than: '<',
  less_than_equal: '<=',
  exists: 'exists',
  not_exists: '!exists',
  in: 'in',
  not_in: '!in',
  matches: '=~',
  not_matches: '!~',
};

/** Symbolic operators, longest first so that `>=` wins over `>`. Word-like ones need a word boundary after them. */
const OPERATOR_SYMBOLS: [string, Operator][] = [
  ['!exists', '!exists'],
  ['!in', '!in'],
  ['==', '=='],
  ['!=', '!='],
  ['>=', '>='],
  ['<=', '<='],
  ['=~', '=~'],
  ['!~', '!~'],
  ['>', '>'],
  ['<', '<'],
];

const ALL_OPERATORS: Operator[] = [
  '==',
  '!=',
  '>',
  '>=',
  '<',
  '<=',
  'exists',
  '!exists',
  'in',
  '!in',
  '=~',
  '!~',
];

/** "Valid operators" per subject, as listed in the guide. Attributes and task groups list none: all are allowed. */
const VALID_OPERATORS: Record<Subject['kind'], Operator[]> = {
  attribute: ALL_OPERATORS,
  'task:group': ALL_OPERATORS,
  agentConnected: ['==', '!=', 'in', '!in', '=~', '!~'],
  ec2InstanceId: ['==', '!=', 'in', '!in', '=~', '!~'],
  agentVersion: ['==', '!=', '>', '>=', '<', '<='],
  registeredAt: ['==', '!=', '>', '>=', '<', '<='],
  runningTasksCount: ['==', '!=', '>', '>=', '<', '<='],
};

const FIXED_SUBJECTS: Record<string, Subject> = {
  'task:group': { kind: 'task:group' },
  ec2instanceid: { kind: 'ec2InstanceId' },
  agentconnected: { kind: 'agentConnected' },
  agentversion: { kind: 'agentVersion' },
  registeredat: { kind: 'registeredAt' },
  runningtaskscount: { kind: 'runningTasksCount' },
};

/** Characters that end a subject or an operator word. */
const SPECIAL = new Set(['(', ')', '[', ']', ',', '=', '!', '<', '>', '~', '&', '|', "'", '"']);
const isSpace = (c: string | undefined): boolean => c !== undefined && /\s/.test(c);
const isWordChar = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_.:\-/\\]/.test(c);

const DATE_RE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}:\d{2}(?:Z|[+-]\d{2}:\d{2})?)?$/;
const VERSION_RE = /^\d+(?:\.\d+)*$/;

class Parser {
  private pos = 0;
  constructor(private readonly src: string) {}

  parse(): QueryNode {
    this.skipSpace();
    if (this.pos >= this.src.length) this.fail('the expression is empty');
    const node = this.parseOr();
    this.skipSpace();
    if (this.pos < this.src.length) {
      const c = this.src[this.pos];
      this.fail(
        c === ')' ? "unbalanced ')'" : `unexpected '${this.peekToken()}', expected 'and', 'or' or the end`,
      );
    }
    return node;
  }

  private parseOr(): QueryNode {
    let left = this.parseAnd();
    while (this.acceptKeyword('or') || this.acceptSymbol('||')) {
      left = { type: 'or', left, right: this.parseAnd() };
    }
    return left;
  }

  private parseAnd(): QueryNode {
    let left = this.parseUnary();
    while (this.acceptKeyword('and') || this.acceptSymbol('&&')) {
      left = { type: 'and', left, right: this.parseUnary() };
    }
    return left;
  }

  private parseUnary(): QueryNode {
    this.skipSpace();
    if (this.pos >= this.src.length) this.fail('expected a subject, "not" or "(" but the expression ended');
    if (this.acceptKeyword('not') || this.acceptNotBang()) return { type: 'not', operand: this.parseUnary() };
    if (this.src[this.pos] === '(') {
      const open = this.pos;
      this.pos++;
      const inner = this.parseOr();
      this.skipSpace();
      if (this.src[this.pos] !== ')') {
        if (this.pos >= this.src.length) this.fail(`'(' at position ${open} is never closed`, open);
        this.fail(`expected ')' but found '${this.peekToken()}'`);
      }
      this.pos++;
      return inner;
    }
    return this.parseComparison();
  }

  private parseComparison(): QueryNode {
    this.skipSpace();
    const position = this.pos;
    const subjectText = this.readWhile((c) => !isSpace(c) && !SPECIAL.has(c));
    if (!subjectText) this.fail(`expected a subject but found '${this.peekToken()}'`);
    const subject = this.subjectOf(subjectText, position);

    this.skipSpace();
    const opPos = this.pos;
    if (this.pos >= this.src.length)
      this.fail(`expected an operator after '${subjectText}' but the expression ended`);
    const op = this.readOperator(subjectText);
    if (!VALID_OPERATORS[subject.kind].includes(op)) {
      this.fail(`operator '${op}' is not valid for subject '${subjectText}'`, opPos);
    }

    this.skipSpace();
    const argPos = this.pos;
    let args: string[] = [];
    if (op === 'in' || op === '!in') args = this.readList(op);
    else if (op !== 'exists' && op !== '!exists') args = [this.readSingleArgument(op)];

    const node: QueryNode & { type: 'compare' } = { type: 'compare', subject, op, args, position };
    this.checkArguments(node, subjectText, argPos);
    return node;
  }

  private subjectOf(text: string, position: number): Subject {
    if (text.toLowerCase().startsWith('attribute:')) {
      const name = text.slice('attribute:'.length);
      if (!name) this.fail("'attribute:' needs an attribute name", position);
      return { kind: 'attribute', name };
    }
    const fixed = FIXED_SUBJECTS[text.toLowerCase()];
    if (!fixed) {
      this.fail(
        `unknown subject '${text}' (expected attribute:<name>, task:group, ec2InstanceId, agentConnected, ` +
          'agentVersion, registeredAt or runningTasksCount)',
        position,
      );
    }
    return fixed;
  }

  private readOperator(subjectText: string): Operator {
    for (const [sym, op] of OPERATOR_SYMBOLS) {
      if (!this.src.startsWith(sym, this.pos)) continue;
      if (/[a-z]$/.test(sym) && isWordChar(this.src[this.pos + sym.length])) continue;
      this.pos += sym.length;
      return op;
    }
    const start = this.pos;
    const word = this.readWhile((c) => /[A-Za-z_]/.test(c));
    const op = word ? OPERATOR_WORDS[word.toLowerCase()] : undefined;
    if (!op || isWordChar(this.src[this.pos])) {
      this.pos = start;
      this.fail(`expected an operator after '${subjectText}' but found '${this.peekToken()}'`);
    }
    return op;
  }

  private readList(op: Operator): string[] {
    this.skipSpace();
    if (this.src[this.pos] !== '[') {
      this.fail(`operator '${op}' needs an argument list such as [a, b] but found '${this.peekToken()}'`);
    }
    const open = this.pos;
    this.pos++;
    const items: string[] = [];
    for (;;) {
      this.skipSpace();
      if (this.pos >= this.src.length) this.fail(`'[' at position ${open} is never closed`, open);
      if (this.src[this.pos] === ']' && items.length === 0) this.fail('the argument list is empty');
      const itemPos = this.pos;
      let item: string;
      if (this.src[this.pos] === "'" || this.src[this.pos] === '"') {
        item = this.readQuoted();
      } else {
        item = this.readWhile((c) => c !== ',' && c !== ']').trim();
      }
      if (!item) this.fail('empty item in the argument list', itemPos);
      items.push(item);
      this.skipSpace();
      const c = this.src[this.pos];
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === ']') {
        this.pos++;
        return items;
      }
      if (c === undefined) this.fail(`'[' at position ${open} is never closed`, open);
      this.fail(`expected ',' or ']' in the argument list but found '${this.peekToken()}'`);
    }
  }

  /**
   * A literal: quoted, or a run of non-space characters in which () and [] must balance (regexes use them); an
   * unbalanced ')' or a '&&' / '||' outside brackets ends it.
   */
  private readSingleArgument(op: Operator): string {
    this.skipSpace();
    const start = this.pos;
    const c = this.src[this.pos];
    if (c === "'" || c === '"') return this.readQuoted();
    let depth = 0;
    while (this.pos < this.src.length) {
      const ch = this.src[this.pos]!;
      if (isSpace(ch)) break;
      if (depth === 0 && (this.src.startsWith('&&', this.pos) || this.src.startsWith('||', this.pos))) break;
      if (ch === '(' || ch === '[') depth++;
      else if (ch === ')' || ch === ']') {
        if (depth === 0) break;
        depth--;
      }
      this.pos++;
    }
    const value = this.src.slice(start, this.pos);
    if (!value) {
      this.fail(
        this.pos >= this.src.length
          ? `operator '${op}' needs an argument but the expression ended`
          : `operator '${op}' needs an argument but found '${this.peekToken()}'`,
      );
    }
    if (depth !== 0) this.fail(`unbalanced brackets in argument '${value}'`, start);
    return value;
  }

  private readQuoted(): string {
    const quote = this.src[this.pos]!;
    const start = this.pos;
    const end = this.src.indexOf(quote, this.pos + 1);
    if (end < 0) this.fail(`unterminated quoted string`, start);
    this.pos = end + 1;
    return this.src.slice(start + 1, end);
  }

  private checkArguments(node: QueryNode & { type: 'compare' }, subjectText: string, argPos: number): void {
    for (const arg of node.args) {
      switch (node.subject.kind) {
        case 'registeredAt':
          if (!DATE_RE.test(arg) || Number.isNaN(parseDate(arg))) {
            this.fail(
              `'${arg}' is not a valid date for registeredAt (use 2018-06-18T22:28:28+00:00, ` +
                '2018-06-18T22:28:28Z, 2018-06-18T22:28:28 or 2018-06-18)',
              argPos,
            );
          }
          break;
        case 'agentVersion':
          if (!VERSION_RE.test(arg))
            this.fail(`'${arg}' is not a valid agent version such as 1.14.5`, argPos);
          break;
        case 'runningTasksCount':
          if (!/^\d+$/.test(arg)) this.fail(`'${arg}' is not a valid task count for ${subjectText}`, argPos);
          break;
        default:
          break;
      }
    }
    if (node.op === '=~' || node.op === '!~') {
      const pattern = node.args[0]!;
      try {
        node.regex = new RegExp(`^(?:${javaRegexToJs(pattern)})$`);
      } catch (e) {
        this.fail(`invalid regular expression '${pattern}': ${(e as Error).message}`, argPos);
      }
    }
  }

  // --- scanning helpers -------------------------------------------------------------------------------------

  private skipSpace(): void {
    while (isSpace(this.src[this.pos])) this.pos++;
  }

  private readWhile(pred: (c: string) => boolean): string {
    const start = this.pos;
    while (this.pos < this.src.length && pred(this.src[this.pos]!)) this.pos++;
    return this.src.slice(start, this.pos);
  }

  private acceptKeyword(word: string): boolean {
    this.skipSpace();
    const candidate = this.src.slice(this.pos, this.pos + word.length);
    if (candidate.toLowerCase() !== word || isWordChar(this.src[this.pos + word.length])) return false;
    this.pos += word.length;
    return true;
  }

  private acceptSymbol(sym: string): boolean {
    this.skipSpace();
    if (!this.src.startsWith(sym, this.pos)) return false;
    this.pos += sym.length;
    return true;
  }

  /** `!` as boolean not (only in operand position, where an operator cannot appear). */
  private acceptNotBang(): boolean {
    if (this.src[this.pos] !== '!') return false;
    const next = this.src[this.pos + 1];
    if (next === '=' || next === '~') return false;
    this.pos++;
    return true;
  }

  private peekToken(): string {
    const rest = this.src.slice(this.pos);
    const m = /^\S+/.exec(rest);
    return m ? m[0].slice(0, 30) : '';
  }

  private fail(problem: string, position = this.pos): never {
    throw new ClusterQueryError(problem, position, this.src);
  }
}

/**
 * Java's regex syntax is close to JavaScript's for the patterns the guide uses (t2.*, g2.*). The differences
 * handled: possessive quantifiers (`*+`, `++`, `?+`) become greedy ones, and `\A` / `\Z` / `\z` anchors are dropped
 * (the whole value is matched anyway). Other Java-only constructs throw as invalid.
 */
function javaRegexToJs(pattern: string): string {
  return pattern.replace(/(?<!\\)([*+?}])\+/g, '$1').replace(/\\[AZz]/g, '');
}

function parseDate(text: string): number {
  // A date-time without a zone is taken as UTC (ECS shows registeredAt in UTC); a bare date is midnight UTC.
  const withZone = /T\d{2}:\d{2}:\d{2}(?:\.\d+)?$/.test(text) ? `${text}Z` : text;
  return Date.parse(withZone);
}

// ---------------------------------------------------------------------------------------------------------------
// Evaluation

function evaluate(node: QueryNode, target: QueryTarget): boolean {
  switch (node.type) {
    case 'and':
      return evaluate(node.left, target) && evaluate(node.right, target);
    case 'or':
      return evaluate(node.left, target) || evaluate(node.right, target);
    case 'not':
      return !evaluate(node.operand, target);
    case 'compare':
      return compare(node, target);
  }
}

function subjectValues(subject: Subject, t: QueryTarget): string[] {
  switch (subject.kind) {
    case 'attribute': {
      const v = Object.hasOwn(t.attributes, subject.name) ? t.attributes[subject.name] : undefined;
      return v === undefined ? [] : [v];
    }
    case 'task:group':
      return [...new Set(t.taskGroups)];
    case 'ec2InstanceId':
      return t.ec2InstanceId === undefined ? [] : [t.ec2InstanceId];
    case 'agentConnected':
      return t.agentConnected === undefined ? [] : [String(t.agentConnected)];
    case 'agentVersion':
      return t.agentVersion === undefined ? [] : [t.agentVersion];
    case 'registeredAt': {
      if (t.registeredAt === undefined) return [];
      const r = t.registeredAt;
      const ms = r instanceof Date ? r.getTime() : typeof r === 'number' ? r : parseDate(r);
      return Number.isNaN(ms) ? [] : [String(ms)];
    }
    case 'runningTasksCount':
      return [String(t.runningTasksCount ?? t.taskGroups.length)];
  }
}

/** -1 / 0 / 1 ordering of an instance's value against an argument, by subject type. */
function order(subject: Subject, value: string, arg: string): number {
  switch (subject.kind) {
    case 'registeredAt':
      return Math.sign(Number(value) - parseDate(arg));
    case 'runningTasksCount':
      return Math.sign(Number(value) - Number(arg));
    case 'agentVersion':
      return compareVersions(value, arg);
    default: {
      const a = Number(value);
      const b = Number(arg);
      if (value.trim() !== '' && arg.trim() !== '' && Number.isFinite(a) && Number.isFinite(b)) {
        return Math.sign(a - b);
      }
      return value < arg ? -1 : value > arg ? 1 : 0;
    }
  }
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((p) => Number.parseInt(p, 10) || 0);
  const pb = b.split(/[.-]/).map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

function holds(node: QueryNode & { type: 'compare' }, value: string): boolean {
  const arg = node.args[0] ?? '';
  const numericEquality = node.subject.kind === 'registeredAt' || node.subject.kind === 'runningTasksCount';
  const equal = (a: string) => (numericEquality ? order(node.subject, value, a) === 0 : value === a);
  switch (node.op) {
    case '==':
    case '!=':
      return equal(arg);
    case 'in':
    case '!in':
      return node.args.some(equal);
    case '=~':
    case '!~':
      return node.regex!.test(value);
    case '>':
      return order(node.subject, value, arg) > 0;
    case '>=':
      return order(node.subject, value, arg) >= 0;
    case '<':
      return order(node.subject, value, arg) < 0;
    case '<=':
      return order(node.subject, value, arg) <= 0;
    default:
      return false;
  }
}

function compare(node: QueryNode & { type: 'compare' }, target: QueryTarget): boolean {
  const values = subjectValues(node.subject, target);
  if (node.op === 'exists') return values.length > 0;
  if (node.op === '!exists') return values.length === 0;
  if (values.length === 0) return false;
  if (node.op === '!=' || node.op === '!in' || node.op === '!~') return values.every((v) => !holds(node, v));
  return values.some((v) => holds(node, v));
}
