/**
 * The event-pattern matcher against the examples of the EventBridge documentation. Each row: the
 * documented pattern, an event it matches and one it doesn't, and where the example comes from.
 *
 *   [patterns]   EventBridge User Guide, "Amazon EventBridge event patterns" (eb-event-patterns)
 *   [null]       "Matching events on null values and empty strings" (eb-event-patterns-null-values)
 *   [arrays]     "Arrays in Amazon EventBridge event patterns" (eb-event-patterns-arrays)
 *   [filtering]  "Content filtering in Amazon EventBridge event patterns"
 *   [operators]  "Comparison operators for use in event patterns" (eb-create-pattern-operators)
 *   [ruler]      aws/event-ruler README (the matcher behind EventBridge): $or, array matching, wildcard
 */
import { describe, expect, it } from 'vitest';
import { matchesPattern, parsePattern, validatePattern } from '../../local/services/eventbridge/pattern.ts';

const ec2Event = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated' },
};

const autoscalingEvent = {
  version: '0',
  id: '3e3c153a-8339-4e30-8c35-687ebef853fe',
  'detail-type': 'EC2 Instance Launch Successful',
  source: 'aws.autoscaling',
  account: '123456789012',
  time: '2015-11-11T21:31:47Z',
  region: 'us-east-1',
  resources: [],
  detail: { eventVersion: '', responseElements: null },
};

// [ruler] "Ruler by Example" sample event.
const rulerEvent = {
  version: '0',
  id: 'ddddd4-aaaa-7777-4444-345dd43cc333',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '012345679012',
  time: '2017-10-02T16:24:49Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
  detail: {
    'c-count': 5,
    'd-count': 3,
    'x-limit': 301.8,
    'source-ip': '10.0.0.33',
    'instance-id': 'i-000000aaaaaa00000',
    state: 'running',
  },
};

const withDetail = (detail: Record<string, unknown>) => ({
  ...rulerEvent,
  detail: { ...rulerEvent.detail, ...detail },
});
const only = (detail: Record<string, unknown>) => ({ ...rulerEvent, detail });

interface Example {
  name: string;
  source: string;
  pattern: unknown;
  matches: unknown;
  doesNotMatch: unknown;
}

const examples: Example[] = [
  {
    name: 'instance-termination events',
    source: '[patterns]',
    pattern: {
      source: ['aws.ec2'],
      'detail-type': ['EC2 Instance State-change Notification'],
      detail: { state: ['terminated'] },
    },
    matches: ec2Event,
    doesNotMatch: { ...ec2Event, detail: { ...ec2Event.detail, state: 'running' } },
  },
  {
    name: 'match values: an array is an OR',
    source: '[patterns]',
    pattern: { source: ['aws.ec2', 'aws.fargate'] },
    matches: { ...ec2Event, source: 'aws.fargate' },
    doesNotMatch: { ...ec2Event, source: 'aws.ecs' },
  },
  {
    name: 'field matching on a null value',
    source: '[patterns]',
    pattern: {
      source: ['aws.autoscaling'],
      'detail-type': ['EC2 Instance Launch Successful'],
      detail: { responseElements: [null] },
    },
    matches: autoscalingEvent,
    doesNotMatch: { ...autoscalingEvent, detail: { eventVersion: '', responseElements: {} } },
  },
  {
    name: 'value matching on numbers, nested',
    source: '[patterns]',
    pattern: {
      source: ['aws.macie'],
      'detail-type': ['Macie Alert'],
      detail: { 'risk-score': [80], trigger: { risk: [8] } },
    },
    matches: {
      ...ec2Event,
      source: 'aws.macie',
      'detail-type': 'Macie Alert',
      detail: {
        'risk-score': 80,
        tags: ['Custom_Alert', 'Insider'],
        trigger: { 'alert-type': 'basic', risk: 8 },
      },
    },
    doesNotMatch: {
      ...ec2Event,
      source: 'aws.macie',
      'detail-type': 'Macie Alert',
      detail: { 'risk-score': 80, trigger: { risk: 7 } },
    },
  },
  {
    name: 'an empty string is not null',
    source: '[null]',
    pattern: { detail: { eventVersion: [''] } },
    matches: autoscalingEvent,
    doesNotMatch: { ...autoscalingEvent, detail: { eventVersion: null } },
  },
  {
    name: 'null is not an empty string',
    source: '[null]',
    pattern: { detail: { responseElements: [null] } },
    matches: autoscalingEvent,
    doesNotMatch: { ...autoscalingEvent, detail: { responseElements: '' } },
  },
  {
    name: 'arrays match when they intersect',
    source: '[arrays]',
    pattern: {
      resources: [
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
      ],
    },
    matches: {
      ...ec2Event,
      resources: [
        'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      ],
    },
    doesNotMatch: { ...ec2Event, resources: ['arn:aws:ec2:us-east-1:999999999999:instance/i-b188560f'] },
  },
  {
    name: 'prefix',
    source: '[filtering]',
    pattern: { time: [{ prefix: '2017-10-02' }] },
    matches: rulerEvent,
    doesNotMatch: { ...rulerEvent, time: '2017-10-03T16:24:49Z' },
  },
  {
    name: 'prefix, ignoring case',
    source: '[filtering]',
    pattern: { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } },
    matches: only({ service: 'eventbridge' }),
    doesNotMatch: only({ service: 'AmazonEventBridge' }),
  },
  {
    name: 'suffix',
    source: '[filtering]',
    pattern: { FileName: [{ suffix: '.png' }] },
    matches: { FileName: 'photo.png' },
    doesNotMatch: { FileName: 'photo.PNG' },
  },
  {
    name: 'suffix, ignoring case',
    source: '[filtering]',
    pattern: { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } },
    matches: only({ FileName: 'photo.PNG' }),
    doesNotMatch: only({ FileName: 'photo.jpg' }),
  },
  {
    name: 'anything-but a string',
    source: '[filtering]',
    pattern: { detail: { state: [{ 'anything-but': 'initializing' }] } },
    matches: rulerEvent,
    doesNotMatch: withDetail({ state: 'initializing' }),
  },
  {
    name: 'anything-but a number',
    source: '[filtering]',
    pattern: { detail: { 'x-limit': [{ 'anything-but': 123 }] } },
    matches: rulerEvent,
    doesNotMatch: withDetail({ 'x-limit': 123 }),
  },
  {
    name: 'anything-but a list of strings',
    source: '[filtering]',
    pattern: { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } },
    matches: rulerEvent,
    doesNotMatch: withDetail({ state: 'overloaded' }),
  },
  {
    name: 'anything-but a list of numbers',
    source: '[filtering]',
    pattern: { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } },
    matches: rulerEvent,
    doesNotMatch: withDetail({ 'x-limit': 200 }),
  },
  {
    name: 'anything-but a prefix',
    source: '[filtering]',
    pattern: { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } },
    matches: rulerEvent,
    doesNotMatch: withDetail({ state: 'initializing' }),
  },
  {
    name: 'anything-but a suffix',
    source: '[operators]',
    pattern: { FileName: [{ 'anything-but': { suffix: '.png' } }] },
    matches: { FileName: 'notes.txt' },
    doesNotMatch: { FileName: 'photo.png' },
  },
  {
    name: 'anything-but, ignoring case',
    source: '[operators]',
    pattern: { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] },
    matches: { state: 'running' },
    doesNotMatch: { state: 'INITIALIZING' },
  },
  {
    name: 'anything-but a wildcard',
    source: '[operators]',
    pattern: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] },
    matches: { FilePath: '/usr/bin/node' },
    doesNotMatch: { FilePath: '/usr/lib/node' },
  },
  {
    name: 'begins with, anything-but begins with',
    source: '[operators]',
    pattern: { Region: [{ prefix: 'us-' }], Other: [{ 'anything-but': { prefix: 'us-' } }] },
    matches: { Region: 'us-east-1', Other: 'eu-west-1' },
    doesNotMatch: { Region: 'us-east-1', Other: 'us-west-2' },
  },
  {
    name: 'equals, ignoring case',
    source: '[operators]',
    pattern: { Name: [{ 'equals-ignore-case': 'alice' }] },
    matches: { Name: 'ALICE' },
    doesNotMatch: { Name: 'Alicia' },
  },
  {
    name: 'empty',
    source: '[operators]',
    pattern: { LastName: [''] },
    matches: { LastName: '' },
    doesNotMatch: { LastName: 'Smith' },
  },
  {
    name: 'and: every field must match',
    source: '[operators]',
    pattern: { Location: ['New York'], Day: ['Monday'] },
    matches: { Location: 'New York', Day: 'Monday' },
    doesNotMatch: { Location: 'New York', Day: 'Tuesday' },
  },
  {
    name: 'numeric',
    source: '[filtering]',
    pattern: {
      detail: {
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ numeric: ['=', 3.018e2] }],
      },
    },
    matches: rulerEvent,
    doesNotMatch: withDetail({ 'c-count': 6 }),
  },
  {
    name: 'numeric matching needs a JSON number',
    source: '[filtering]',
    pattern: { detail: { 'd-count': [{ numeric: ['<', 10] }] } },
    matches: rulerEvent,
    doesNotMatch: withDetail({ 'd-count': '3' }),
  },
  {
    name: 'IP address (cidr)',
    source: '[filtering]',
    pattern: { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } },
    matches: only({ sourceIPAddress: '10.0.0.255' }),
    doesNotMatch: only({ sourceIPAddress: '10.0.1.1' }),
  },
  {
    name: 'IPv6 cidr',
    source: '[ruler]',
    pattern: { detail: { 'source-ip': [{ cidr: '2001:db8::/32' }] } },
    matches: only({ 'source-ip': '2001:db8::1' }),
    doesNotMatch: only({ 'source-ip': '2001:db9::1' }),
  },
  {
    name: 'exists',
    source: '[filtering]',
    pattern: { detail: { state: [{ exists: true }] } },
    matches: { ...ec2Event, detail: { 'instance-id': 'i-abcd1111', state: 'pending' } },
    doesNotMatch: { ...ec2Event, detail: { 'c-count': { c1: 100 } } },
  },
  {
    name: 'does not exist: only leaves count',
    source: '[filtering]',
    pattern: { detail: { 'c-count': [{ exists: false }] } },
    matches: { ...ec2Event, detail: { state: ['initializing', 'running'], 'c-count': { c1: 100 } } },
    doesNotMatch: { ...ec2Event, detail: { state: 'running', 'c-count': 5 } },
  },
  {
    name: 'complex example with multiple matching',
    source: '[filtering]',
    pattern: {
      time: [{ prefix: '2017-10-02' }],
      detail: {
        state: [{ 'anything-but': 'initializing' }],
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ 'anything-but': [100, 200, 300] }],
      },
    },
    matches: rulerEvent,
    doesNotMatch: withDetail({ 'x-limit': 300 }),
  },
  {
    name: 'wildcard',
    source: '[ruler]',
    pattern: { source: [{ wildcard: 'Simple*Service' }] },
    matches: { source: 'Simple Notification Service' },
    doesNotMatch: { source: 'Simple Notification Services' },
  },
  {
    name: 'wildcard with an escaped asterisk',
    source: '[ruler]',
    pattern: { name: [{ wildcard: 'a\\*b*' }] },
    matches: { name: 'a*bcd' },
    doesNotMatch: { name: 'axbcd' },
  },
  {
    name: '$or: "source" && ("metricName" || "namespace")',
    source: '[ruler]',
    pattern: {
      source: ['aws.cloudwatch'],
      $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }],
    },
    matches: { source: 'aws.cloudwatch', metricName: 'Other', namespace: 'AWS/EC2' },
    doesNotMatch: { source: 'aws.cloudwatch', metricName: 'Other', namespace: 'AWS/ECS' },
  },
  {
    name: '$or with nested and/or',
    source: '[ruler]',
    pattern: {
      source: ['aws.cloudwatch'],
      $or: [
        { metricName: ['CPUUtilization', 'ReadLatency'] },
        {
          metricType: ['MetricType'],
          namespace: ['AWS/EC2', 'AWS/ES'],
          $or: [{ metricId: [1234] }, { spaceId: [1000] }],
        },
        { scope: ['Service'] },
      ],
    },
    matches: { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/ES', spaceId: 1000 },
    doesNotMatch: { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/ES', spaceId: 1001 },
  },
  {
    name: '$or inside detail (parallel or)',
    source: '[ruler]',
    pattern: {
      detail: {
        $or: [
          { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] },
          { 'd-count': [{ numeric: ['<', 10] }] },
          { 'x-limit': [{ numeric: ['=', 3.018e2] }] },
        ],
      },
    },
    matches: only({ 'c-count': 50, 'd-count': 50, 'x-limit': 301.8 }),
    doesNotMatch: only({ 'c-count': 50, 'd-count': 50, 'x-limit': 301.9 }),
  },
  {
    name: 'arrays of objects: fields match within one element',
    source: '[ruler]',
    pattern: { employees: { firstName: ['Anna'], lastName: ['Smith'] } },
    // Multi-level arrays are crushed out too.
    matches: {
      employees: [
        [
          { firstName: 'John', lastName: 'Doe' },
          { firstName: 'Anna', lastName: 'Smith' },
        ],
        [{ firstName: 'Peter', lastName: 'Jones' }],
      ],
    },
    // "Anna" and "Smith" are in different elements: no match (rulesForJSONEvent).
    doesNotMatch: {
      employees: [
        { firstName: 'Anna', lastName: 'Doe' },
        { firstName: 'John', lastName: 'Smith' },
      ],
    },
  },
];

describe('matchesPattern: EventBridge documentation examples', () => {
  it.each(examples)('$source $name', ({ pattern, matches, doesNotMatch }) => {
    expect(validatePattern(pattern)).toBeUndefined();
    expect(matchesPattern(pattern, matches)).toBe(true);
    expect(matchesPattern(pattern, doesNotMatch)).toBe(false);
  });

  it('keeps fields of one array element together ("Anna"/"Jones" do not match)', () => {
    const event = {
      employees: [
        { firstName: 'John', lastName: 'Doe' },
        { firstName: 'Anna', lastName: 'Smith' },
        { firstName: 'Peter', lastName: 'Jones' },
      ],
    };
    expect(matchesPattern({ employees: { firstName: ['Anna'] } }, event)).toBe(true);
    expect(matchesPattern({ employees: { firstName: ['Anna'], lastName: ['Jones'] } }, event)).toBe(false);
  });

  it('needs every pattern field to be present (anything-but and numeric included)', () => {
    const event = { detail: {} };
    expect(matchesPattern({ detail: { state: [{ 'anything-but': 'x' }] } }, event)).toBe(false);
    expect(matchesPattern({ detail: { n: [{ numeric: ['>', 0] }] } }, event)).toBe(false);
    expect(matchesPattern({ detail: { state: ['x'] } }, {})).toBe(false);
    expect(matchesPattern({ detail: { state: [{ exists: false }] } }, {})).toBe(true);
  });

  it('compares types: the string "5" is not the number 5, and values of another type pass anything-but', () => {
    expect(matchesPattern({ n: [5] }, { n: '5' })).toBe(false);
    expect(matchesPattern({ n: ['5'] }, { n: 5 })).toBe(false);
    expect(matchesPattern({ n: [true] }, { n: true })).toBe(true);
    expect(matchesPattern({ n: [{ 'anything-but': '5' }] }, { n: 5 })).toBe(true);
    expect(matchesPattern({ n: [{ 'anything-but': { prefix: 'in' } }] }, { n: 5 })).toBe(true);
    expect(matchesPattern({ n: [{ prefix: '5' }] }, { n: 5 })).toBe(false);
  });

  it('treats an empty event array as absent', () => {
    expect(matchesPattern({ resources: [{ exists: false }] }, { resources: [] })).toBe(true);
    expect(matchesPattern({ resources: [{ exists: true }] }, { resources: [] })).toBe(false);
    expect(matchesPattern({ resources: [{ exists: true }] }, { resources: ['a'] })).toBe(true);
  });

  it('bounds numeric matching to ±5.0e9', () => {
    expect(matchesPattern({ n: [{ numeric: ['>', 0] }] }, { n: 5e9 })).toBe(true);
    expect(matchesPattern({ n: [{ numeric: ['>', 0] }] }, { n: 5e9 + 1 })).toBe(false);
    expect(validatePattern({ n: [{ numeric: ['>', 6e9] }] })).toMatch(/out of range/);
  });
});

describe('validatePattern: the reasons of InvalidEventPatternException', () => {
  const invalid: [unknown, string][] = [
    [[], 'Filter is not an object'],
    [{}, 'Empty objects are not allowed'],
    [{ source: 'aws.ec2' }, '"source" must be an object or an array'],
    [{ source: [] }, 'Empty arrays are not allowed'],
    [{ source: [['a']] }, 'Match value must be String, number, true, false, or null'],
    [{ source: [{ contains: 'x' }] }, 'Unrecognized match type contains'],
    [{ source: [{}] }, 'Match expression name not found'],
    [{ a: [{ prefix: 'x', suffix: 'y' }] }, 'Only one key allowed in match expression'],
    [{ a: [{ prefix: 1 }] }, 'prefix match pattern must be a string'],
    [{ a: [{ prefix: { wildcard: 'x' } }] }, 'Unsupported prefix pattern: wildcard'],
    [{ a: [{ exists: 'yes' }] }, 'exists match pattern must be either true or false.'],
    [{ a: [{ numeric: '>' }] }, 'Value of numeric must be an array.'],
    [{ a: [{ numeric: ['>', 'x'] }] }, 'Value of > must be numeric'],
    [{ a: [{ numeric: ['<', 5, '>', 1] }] }, 'Too many elements in numeric expression'],
    [{ a: [{ numeric: ['>', 5, '<', 1] }] }, 'Bottom must be less than top'],
    [{ a: [{ numeric: ['!=', 5] }] }, 'Unrecognized numeric range operator: !='],
    [{ a: [{ numeric: ['>', 1, '>', 5] }] }, 'Bad numeric range operator: >'],
    [{ a: [{ 'anything-but': [1, 'a'] }] }, 'mixed type is not supported'],
    [{ a: [{ 'anything-but': [null] }] }, 'Inside anything but list, start|null|boolean is not supported.'],
    [{ a: [{ 'anything-but': { contains: 'x' } }] }, 'Unsupported anything-but pattern: contains'],
    [{ a: [{ 'anything-but': { prefix: '' } }] }, 'Null prefix/suffix not allowed'],
    [
      { a: [{ 'anything-but': true }] },
      'Value of anything-but must be an array or single string/number value.',
    ],
    [{ a: [{ wildcard: 'a**b' }] }, 'Consecutive wildcard characters at pos 1'],
    [{ a: [{ wildcard: 'a\\b' }] }, 'Invalid escape character at pos 1'],
    [{ a: [{ cidr: '10.0.0.0' }] }, "Malformed CIDR, one '/' required"],
    [{ a: [{ cidr: '10.0.0.0/33' }] }, 'Invalid CIDR mask size'],
    [{ $or: { a: ['x'] } }, 'It must be an Array followed with $or.'],
    [{ $or: [{ a: ['x'] }] }, 'There must have at least 2 Objects in $or relationship.'],
    [{ $or: [{ a: ['x'] }, 'b'] }, 'Only JSON object is allowed in array of $or relationship.'],
    [
      { $or: [{ numeric: ['x'] }, { b: ['y'] }] },
      'numeric is Ruler reserved fieldName which cannot be used inside $or.',
    ],
  ];

  it.each(invalid)('%j → %s', (pattern, reason) => {
    expect(validatePattern(pattern)).toContain(reason);
  });

  it('parses pattern text and reports JSON errors', () => {
    expect(parsePattern('{"source":["aws.ecr"]}')).toEqual({ pattern: { source: ['aws.ecr'] } });
    expect(parsePattern('{"source":')).toHaveProperty('error');
    expect(parsePattern('{"source":"aws.ecr"}')).toEqual({ error: '"source" must be an object or an array' });
  });
});
