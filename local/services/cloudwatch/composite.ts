/**
 * Composite alarms' rules (PutCompositeAlarm `AlarmRule`): ALARM("name"), OK("name"),
 * INSUFFICIENT_DATA("name"), TRUE and FALSE, joined with AND, OR and NOT, grouped with parentheses.
 * "The alarm rule ... can include as many as 100 underlying alarms"; names may be quoted or not.
 * The composite is in ALARM while its rule is true, OK otherwise (PutCompositeAlarm doc). AND binds
 * tighter than OR, NOT tightest, as in the doc's examples.
 *
 *   parseAlarmRule('ALARM(cpu) AND NOT OK("5xx")')    → and(state cpu ALARM, not(state 5xx OK))
 *   evaluateRule(that, { cpu: 'ALARM', '5xx': 'ALARM' })  → true
 *   evaluateRule(that, { cpu: 'ALARM', '5xx': 'OK' })     → false
 *   ruleAlarms(parseAlarmRule('ALARM(a) OR (OK(b) AND ALARM(a))'))   → ['a', 'b']
 */
export type Rule =
  | { kind: 'state'; state: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA'; alarm: string }
  | { kind: 'const'; value: boolean }
  | { kind: 'not'; rule: Rule }
  | { kind: 'and' | 'or'; left: Rule; right: Rule };

const TOKEN = /\s*(\(|\)|"(?:[^"\\]|\\.)*"|[A-Za-z_][A-Za-z0-9_]*|[^\s()"]+)/y;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    if (/^\s*$/.test(text.slice(TOKEN.lastIndex))) break;
    const m = TOKEN.exec(text);
    if (!m) throw new Error(`cannot read the rule at "${text.slice(TOKEN.lastIndex)}"`);
    tokens.push(m[1]!);
  }
  return tokens;
}

/** Parses an AlarmRule; throws an Error naming the problem. */
export function parseAlarmRule(text: string): Rule {
  const tokens = tokenize(text);
  let i = 0;
  const peek = () => tokens[i];
  const take = (want?: string) => {
    const t = tokens[i++];
    if (t === undefined) throw new Error('the rule ends too early');
    if (want !== undefined && t !== want) throw new Error(`expected "${want}", found "${t}"`);
    return t;
  };
  // `a OR b OR c` is (a OR b) OR c, and AND binds tighter than OR: the same loop at two levels.
  const chain = (word: 'OR' | 'AND', operand: () => Rule) => (): Rule => {
    let left = operand();
    while (peek() === word) {
      take();
      left = { kind: word === 'OR' ? 'or' : 'and', left, right: operand() };
    }
    return left;
  };
  const or: () => Rule = chain('OR', () => and());
  const and: () => Rule = chain('AND', () => not());
  const not = (): Rule => {
    if (peek() === 'NOT') {
      take();
      return { kind: 'not', rule: not() };
    }
    return atom();
  };
  const atom = (): Rule => {
    const t = take();
    if (t === '(') {
      const inner = or();
      take(')');
      return inner;
    }
    if (t === 'TRUE' || t === 'FALSE') return { kind: 'const', value: t === 'TRUE' };
    if (t === 'ALARM' || t === 'OK' || t === 'INSUFFICIENT_DATA') {
      take('(');
      const name = take();
      take(')');
      const alarm = name.startsWith('"') ? name.slice(1, -1).replace(/\\(.)/g, '$1') : name;
      return { kind: 'state', state: t, alarm };
    }
    throw new Error(`unexpected "${t}"`);
  };
  const rule = or();
  if (i < tokens.length) throw new Error(`unexpected "${tokens[i]}"`);
  return rule;
}

/** Whether the rule holds, given each underlying alarm's state. */
export function evaluateRule(rule: Rule, stateOf: (alarm: string) => string | undefined): boolean {
  switch (rule.kind) {
    case 'state':
      return stateOf(rule.alarm) === rule.state;
    case 'const':
      return rule.value;
    case 'not':
      return !evaluateRule(rule.rule, stateOf);
    case 'and':
      return evaluateRule(rule.left, stateOf) && evaluateRule(rule.right, stateOf);
    case 'or':
      return evaluateRule(rule.left, stateOf) || evaluateRule(rule.right, stateOf);
  }
}

/** The alarms a rule names, each once, in order of appearance. */
export function ruleAlarms(rule: Rule): string[] {
  const out: string[] = [];
  const walk = (r: Rule) => {
    if (r.kind === 'state') {
      if (!out.includes(r.alarm)) out.push(r.alarm);
    } else if (r.kind === 'not') walk(r.rule);
    else if (r.kind === 'and' || r.kind === 'or') {
      walk(r.left);
      walk(r.right);
    }
  };
  walk(rule);
  return out;
}
