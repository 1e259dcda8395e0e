import { describe, expect, it } from 'vitest';
import {
  ClusterQueryError,
  compareVersions,
  compileClusterQuery,
  matchesClusterQuery,
  type QueryTarget,
} from '../../local/services/ecs/cluster-query.ts';
import { thrown } from '../helpers/thrown.ts';

/** Sample container instances (the attributes ECS would report, plus the other query subjects). */
const INSTANCES: Record<string, QueryTarget> = {
  A: {
    attributes: { 'ecs.instance-type': 't2.small', 'ecs.availability-zone': 'us-east-1a', stack: 'prod' },
    taskGroups: ['service:production'],
    ec2InstanceId: 'i-abcd1234',
    agentConnected: true,
    agentVersion: '1.14.4',
    registeredAt: '2018-01-01T10:00:00Z',
  },
  B: {
    attributes: { 'ecs.instance-type': 't2.medium', 'ecs.availability-zone': 'us-east-1b', stack: 'dev' },
    taskGroups: ['database', 'service:production'],
    ec2InstanceId: 'i-wxyx7890',
    agentConnected: true,
    agentVersion: '1.20.0',
    registeredAt: new Date('2019-05-05T00:00:00Z'),
  },
  C: {
    attributes: { 'ecs.instance-type': 'g2.2xlarge', 'ecs.availability-zone': 'us-east-1c' },
    taskGroups: ['databases'],
    ec2InstanceId: 'i-11111111',
    agentConnected: true,
    agentVersion: '1.14.5',
    registeredAt: Date.parse('2018-02-13T00:00:00Z'),
  },
  D: {
    attributes: { 'ecs.instance-type': 'g2.8xlarge', 'ecs.availability-zone': 'us-east-1d', stack: 'prod' },
    taskGroups: [],
    ec2InstanceId: 'i-22222222',
    agentConnected: true,
    agentVersion: '1.9.0',
    registeredAt: '2017-12-31T23:59:59Z',
  },
  E: {
    attributes: { 'ecs.instance-type': 't2.micro', 'ecs.availability-zone': 'us-east-1a' },
    taskGroups: ['database'],
    ec2InstanceId: 'i-33333333',
    agentConnected: false,
    agentVersion: '1.30.0',
    registeredAt: '2020-01-01T00:00:00Z',
  },
};

const matching = (expression: string): string[] => {
  const query = compileClusterQuery(expression);
  return Object.entries(INSTANCES)
    .filter(([, target]) => query.matches(target))
    .map(([name]) => name);
};

describe('cluster query language: every example from the ECS Developer Guide', () => {
  // "Cluster query language" page, "Example expressions".
  it.each([
    ['String Equality', 'attribute:ecs.instance-type == t2.small', ['A']],
    ['Argument List', 'attribute:ecs.availability-zone in [us-east-1a, us-east-1b]', ['A', 'B', 'E']],
    [
      'Compound Expression',
      'attribute:ecs.instance-type =~ g2.* and attribute:ecs.availability-zone != us-east-1d',
      ['C'],
    ],
    ['Task Affinity', 'task:group == service:production', ['A', 'B']],
    ['Task Anti-Affinity', 'not(task:group == database)', ['A', 'C', 'D']],
    ['Running task count', 'runningTasksCount == 1', ['A', 'C', 'E']],
    // 1.9.0 < 1.14.5 as versions (a string comparison would say otherwise).
    ['Amazon ECS container agent version', 'agentVersion < 1.14.5', ['A', 'D']],
    ['Instance registration time', 'registeredAt < 2018-02-13', ['A', 'D']],
    ['Amazon EC2 instance ID', "ec2InstanceId in ['i-abcd1234', 'i-wxyx7890']", ['A', 'B']],
  ])('%s: %s', (_name, expression, expected) => {
    expect(matching(expression)).toEqual(expected);
  });

  // "Task placement constraints" page: filtering by attribute, and the example constraints.
  it.each([
    ['Built-in attribute', 'attribute:ecs.instance-type == g2.2xlarge', ['C']],
    ['Custom attribute', 'attribute:stack == prod', ['A', 'D']],
    // "lists the instances with the custom attribute "stack" unless the attribute value is "prod"": C and E have
    // no stack attribute, so they are not listed.
    ['Exclude an attribute value', 'attribute:stack != prod', ['B']],
    ['Multiple attribute values', 'attribute:ecs.instance-type in [t2.small, t2.medium]', ['A', 'B']],
    [
      'Multiple attributes',
      'attribute:ecs.instance-type =~ t2.* and attribute:ecs.availability-zone == us-east-1a',
      ['A', 'E'],
    ],
    ['memberOf T2 instances', 'attribute:ecs.instance-type =~ t2.*', ['A', 'B', 'E']],
    ['memberOf databases task group', 'task:group == databases', ['C']],
  ])('%s: %s', (_name, expression, expected) => {
    expect(matching(expression)).toEqual(expected);
  });
});

describe('cluster query language: operators and compound expressions', () => {
  it.each([
    ['== with t2.micro', 'attribute:ecs.instance-type == t2.micro', ['E']],
    ['equals (word form)', 'attribute:ecs.instance-type equals t2.micro', ['E']],
    ['!= / not_equals', 'attribute:ecs.availability-zone not_equals us-east-1a', ['B', 'C', 'D']],
    ['not_in', 'attribute:ecs.availability-zone not_in [us-east-1a, us-east-1b]', ['C', 'D']],
    ['!in', 'attribute:ecs.availability-zone !in [us-east-1a,us-east-1b]', ['C', 'D']],
    ['exists', 'attribute:stack exists', ['A', 'B', 'D']],
    ['!exists', 'attribute:stack !exists', ['C', 'E']],
    ['not_exists', 'attribute:stack not_exists', ['C', 'E']],
    ['matches (word form)', 'attribute:ecs.instance-type matches g2.*', ['C', 'D']],
    ['!~', 'attribute:ecs.instance-type !~ t2.*', ['C', 'D']],
    ['not_matches', 'attribute:ecs.instance-type not_matches t2.*', ['C', 'D']],
    ['=~ matches the whole value', 'attribute:ecs.instance-type =~ t2', []],
    ['=~ with a group in the pattern', 'attribute:ecs.instance-type =~ t2\\.(micro|small)', ['A', 'E']],
    ['=~ with a character class', 'attribute:ecs.instance-type =~ g2\\.[0-9]xlarge', ['C', 'D']],
    ['quoted argument', 'attribute:ecs.instance-type == "t2.micro"', ['E']],
    ['ec2InstanceId ==', 'ec2InstanceId == i-22222222', ['D']],
    ['ec2InstanceId =~', 'ec2InstanceId =~ i-[0-9]+', ['C', 'D', 'E']],
    ['agentConnected', 'agentConnected == false', ['E']],
    ['agentVersion >=', 'agentVersion >= 1.14.5', ['B', 'C', 'E']],
    ['agentVersion greater_than', 'agentVersion greater_than 1.14.5', ['B', 'E']],
    ['registeredAt with a time', 'registeredAt <= 2018-02-13T00:00:00Z', ['A', 'C', 'D']],
    ['registeredAt with an offset', 'registeredAt > 2019-05-05T01:00:00+02:00', ['B', 'E']],
    ['Java possessive quantifier', 'attribute:ecs.instance-type =~ t2.*+', ['A', 'B', 'E']],
    ['Java \\A and \\z anchors', 'attribute:ecs.instance-type =~ \\Ag2\\..*\\z', ['C', 'D']],
    ['runningTasksCount >', 'runningTasksCount > 1', ['B']],
    ['runningTasksCount less_than', 'runningTasksCount less_than 1', ['D']],
    ['task:group != (no task in the group, and some task)', 'task:group != database', ['A', 'C']],
    ['task:group in', 'task:group in [database, databases]', ['B', 'C', 'E']],
    ['task:group exists', 'task:group exists', ['A', 'B', 'C', 'E']],
    ['! as not', '!(task:group == database)', ['A', 'C', 'D']],
    ['not without parentheses', 'not attribute:stack exists', ['C', 'E']],
    ['&&', 'attribute:stack == prod && attribute:ecs.instance-type =~ g2.*', ['D']],
    ['||', 'attribute:stack == dev || ec2InstanceId == i-33333333', ['B', 'E']],
    // and binds tighter than or ...
    [
      'precedence without parentheses',
      'attribute:stack == prod or attribute:ecs.availability-zone == us-east-1a and attribute:ecs.instance-type == t2.micro',
      ['A', 'D', 'E'],
    ],
    // ... and parentheses override it (the guide's "(expression1 or expression2) and expression3").
    [
      'precedence with parentheses',
      '(attribute:stack == prod or attribute:ecs.availability-zone == us-east-1a) and attribute:ecs.instance-type == t2.micro',
      ['E'],
    ],
    [
      'nested parentheses and not',
      'not (attribute:stack == prod or (task:group exists and attribute:ecs.availability-zone == us-east-1a))',
      ['B', 'C'],
    ],
    [
      'keywords are case-insensitive',
      'attribute:stack == prod AND NOT attribute:ecs.instance-type =~ g2.*',
      ['A'],
    ],
    ['no spaces around symbols', 'attribute:stack==prod&&attribute:ecs.availability-zone!=us-east-1d', ['A']],
  ])('%s: %s', (_name, expression, expected) => {
    expect(matching(expression)).toEqual(expected);
  });

  it('reads a registeredAt date-time without a zone as UTC, whatever the local time zone', () => {
    const saved = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      expect(matching('registeredAt == 2017-12-31T23:59:59')).toEqual(['D']);
      const target: QueryTarget = { attributes: {}, taskGroups: [], registeredAt: '2018-02-13T00:00:00' };
      expect(matchesClusterQuery('registeredAt == 2018-02-13', target)).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });

  it('compares versions numerically', () => {
    expect(compareVersions('1.9.0', '1.14.5')).toBe(-1);
    expect(compareVersions('1.14.5', '1.14.5')).toBe(0);
    expect(compareVersions('2.0', '1.99.99')).toBe(1);
  });

  it('counts an instance with no runningTasksCount by its tasks', () => {
    expect(matchesClusterQuery('runningTasksCount == 2', { attributes: {}, taskGroups: ['a', 'b'] })).toBe(
      true,
    );
    expect(
      matchesClusterQuery('runningTasksCount == 2', {
        attributes: {},
        taskGroups: ['a'],
        runningTasksCount: 2,
      }),
    ).toBe(true);
  });

  it('treats a name-only attribute as existing', () => {
    const target: QueryTarget = { attributes: { 'ecs.capability.external': '' }, taskGroups: [] };
    expect(matchesClusterQuery('attribute:ecs.capability.external exists', target)).toBe(true);
    expect(matchesClusterQuery('attribute:ecs.awsvpc-trunk-id exists', target)).toBe(false);
  });
});

describe('cluster query language: errors name the problem and the position', () => {
  it.each([
    ['', 0, /the expression is empty/],
    ['   ', 3, /the expression is empty/],
    ['foo == bar', 0, /unknown subject 'foo'/],
    ['attribute: == x', 0, /needs an attribute name/],
    [
      'attribute:ecs.instance-type',
      27,
      /expected an operator after 'attribute:ecs.instance-type' but the expression ended/,
    ],
    ['attribute:x ?? y', 12, /expected an operator after 'attribute:x' but found '\?\?'/],
    ['attribute:stack !existsfoo', 16, /expected an operator after 'attribute:stack' but found '!existsfoo'/],
    ['attribute:x is y', 12, /expected an operator after 'attribute:x' but found 'is'/],
    ['attribute:x ==', 14, /operator '==' needs an argument but the expression ended/],
    ['attribute:x in us-east-1a', 15, /operator 'in' needs an argument list/],
    ['attribute:x in [a, b', 15, /'\[' at position 15 is never closed/],
    ['attribute:x in []', 16, /the argument list is empty/],
    ['attribute:x in [a,,b]', 18, /empty item in the argument list/],
    ['(attribute:x == y', 0, /'\(' at position 0 is never closed/],
    ['attribute:x == y)', 16, /unbalanced '\)'/],
    ['attribute:x == y and', 20, /expected a subject, "not" or "\(" but the expression ended/],
    ['attribute:x == y z', 17, /unexpected 'z'/],
    ['attribute:x == y and == z', 21, /expected a subject but found '=='/],
    ['ec2InstanceId > i-1', 14, /operator '>' is not valid for subject 'ec2InstanceId'/],
    ['agentConnected exists', 15, /operator 'exists' is not valid for subject 'agentConnected'/],
    ['runningTasksCount in [1, 2]', 18, /operator 'in' is not valid for subject 'runningTasksCount'/],
    ['registeredAt < yesterday', 15, /'yesterday' is not a valid date for registeredAt/],
    ['registeredAt < 2018-13-45', 15, /'2018-13-45' is not a valid date/],
    ['agentVersion < latest', 15, /'latest' is not a valid agent version/],
    ['runningTasksCount == one', 21, /'one' is not a valid task count/],
    ['attribute:x =~ *t2', 15, /invalid regular expression '\*t2'/],
    ['attribute:x =~ t2(', 15, /unbalanced brackets in argument 't2\('/],
    ["attribute:x == 'open", 15, /unterminated quoted string/],
  ])('%j fails at position %i', (expression, position, problem) => {
    const err = thrown(() => compileClusterQuery(expression), ClusterQueryError);
    expect(err.position).toBe(position);
    expect(err.message).toMatch(problem);
    expect(err.message).toContain(`at position ${position}`);
  });
});
