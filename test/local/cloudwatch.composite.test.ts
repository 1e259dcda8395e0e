/** Composite alarms (PutCompositeAlarm) through the real SDK, and the rule grammar's examples. */
import {
  DescribeAlarmsCommand,
  PutCompositeAlarmCommand,
  PutMetricAlarmCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateRule, parseAlarmRule, ruleAlarms } from '../../local/services/cloudwatch/composite.ts';
import { sharedWorld } from '../helpers/world.ts';

describe('alarm rules', () => {
  const rule = parseAlarmRule('ALARM(cpu) AND NOT OK("5xx")');
  it.each([
    [{ cpu: 'ALARM', '5xx': 'ALARM' }, true],
    [{ cpu: 'ALARM', '5xx': 'OK' }, false],
    [{ cpu: 'OK', '5xx': 'ALARM' }, false],
  ])('ALARM(cpu) AND NOT OK("5xx") with %j is %s', (states, want) => {
    expect(evaluateRule(rule, (n) => (states as Record<string, string>)[n])).toBe(want);
  });

  it('binds AND tighter than OR, and reads TRUE, FALSE and parentheses', () => {
    const states: Record<string, string> = { a: 'ALARM', b: 'OK', c: 'OK' };
    expect(evaluateRule(parseAlarmRule('ALARM(a) OR ALARM(b) AND ALARM(c)'), (n) => states[n])).toBe(true);
    expect(evaluateRule(parseAlarmRule('(ALARM(a) OR ALARM(b)) AND ALARM(c)'), (n) => states[n])).toBe(false);
    expect(evaluateRule(parseAlarmRule('TRUE AND NOT FALSE'), () => undefined)).toBe(true);
    expect(ruleAlarms(parseAlarmRule('ALARM(a) OR (OK(b) AND ALARM(a))'))).toEqual(['a', 'b']);
  });

  it.each(['ALARM(a) AND', 'ALARM(a', 'SOMETIMES(a)', 'ALARM(a) ALARM(b)'])('refuses %s', (text) => {
    expect(() => parseAlarmRule(text)).toThrow();
  });
});

describe('PutCompositeAlarm', () => {
  const t = sharedWorld();
  beforeAll(async () => {
    for (const AlarmName of ['cpu', '5xx'])
      await t.cloudwatch.send(
        new PutMetricAlarmCommand({
          AlarmName,
          Namespace: 'Test/App',
          MetricName: AlarmName,
          Statistic: 'Sum',
          Period: 60,
          EvaluationPeriods: 1,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanThreshold',
        }),
      );
  });

  const composite = async () =>
    (
      await t.cloudwatch.send(
        new DescribeAlarmsCommand({ AlarmNames: ['web-bad'], AlarmTypes: ['CompositeAlarm'] }),
      )
    ).CompositeAlarms![0]!;

  it('follows its underlying alarms, and says so on the bus', async () => {
    await t.cloudwatch.send(
      new PutCompositeAlarmCommand({ AlarmName: 'web-bad', AlarmRule: 'ALARM(cpu) OR ALARM("5xx")' }),
    );
    expect(await composite()).toMatchObject({ AlarmRule: 'ALARM(cpu) OR ALARM("5xx")', StateValue: 'OK' });
    await t.cloudwatch.send(
      new SetAlarmStateCommand({ AlarmName: '5xx', StateValue: 'ALARM', StateReason: 'test' }),
    );
    expect((await composite()).StateValue).toBe('ALARM');
    expect(t.world.alarms.alarmState('web-bad')).toBe('ALARM');
    const events = t.world.eventLog.filter(
      (e) =>
        e.event['detail-type'] === 'CloudWatch Alarm State Change' && e.event.detail.alarmName === 'web-bad',
    );
    expect(events.at(-1)?.event.detail).toMatchObject({
      state: { value: 'ALARM' },
      configuration: { alarmRule: 'ALARM(cpu) OR ALARM("5xx")' },
    });
    await t.cloudwatch.send(
      new SetAlarmStateCommand({ AlarmName: '5xx', StateValue: 'OK', StateReason: 'test' }),
    );
    expect((await composite()).StateValue).toBe('OK');
    // Metric alarms only, unless composites are asked for.
    const plain = await t.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: ['web-bad'] }));
    expect(plain.CompositeAlarms).toEqual([]);
  });

  it('refuses a rule naming an alarm that does not exist, or a rule it cannot read', async () => {
    await expect(
      t.cloudwatch.send(new PutCompositeAlarmCommand({ AlarmName: 'x', AlarmRule: 'ALARM(nope)' })),
    ).rejects.toThrow(/alarms \[nope\] in the alarm rule do not exist/);
    await expect(
      t.cloudwatch.send(new PutCompositeAlarmCommand({ AlarmName: 'x', AlarmRule: 'ALARM(cpu) AND' })),
    ).rejects.toThrow(/Error in alarm rule/);
  });
});
