/**
 * CloudWatch over the AWS Query protocol (form-encoded requests, XML answers), as the AWS CLI and
 * the SDK for JavaScript v2 send it: raw requests signed with the SDK's SigV4 signer, and what they
 * did checked through the SDK v3 client (JSON 1.0) on the same world.
 */
import { DescribeAlarmsCommand, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from 'vitest';
import { queryInput } from '../../local/core/query.ts';
import { sharedWorld } from '../helpers/world.ts';
import { signedPost } from './signed-request.ts';

const t = sharedWorld();

const query = (params: Record<string, string>) =>
  signedPost(
    t.endpoint,
    'monitoring',
    t.world.region,
    { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    new URLSearchParams({ Version: '2010-08-01', ...params }).toString(),
  );

describe('Query input', () => {
  it.each([
    [
      'MetricData.member.1.MetricName=Errors&MetricData.member.1.Value=3&MetricData.member.1.Dimensions.member.1.Name=Service&MetricData.member.1.Dimensions.member.1.Value=7',
      { MetricData: [{ MetricName: 'Errors', Value: 3, Dimensions: [{ Name: 'Service', Value: '7' }] }] },
    ],
    ['AlarmNames.member.2=b&AlarmNames.member.1=a', { AlarmNames: ['a', 'b'] }],
    ['ActionsEnabled=false&AlarmActions=', { ActionsEnabled: false, AlarmActions: [] }],
  ])('%s', (body, want) => {
    expect(queryInput(`Action=X&Version=2010-08-01&${body}`).input).toEqual(want);
  });
});

describe('CloudWatch over the Query protocol', () => {
  it('takes PutMetricData and PutMetricAlarm form-encoded, and answers in XML', async () => {
    const at = new Date(t.world.now()).toISOString();
    const put = await query({
      Action: 'PutMetricData',
      Namespace: 'Test/Query',
      'MetricData.member.1.MetricName': 'Errors',
      'MetricData.member.1.Value': '5',
      'MetricData.member.1.Timestamp': at,
      'MetricData.member.1.Dimensions.member.1.Name': 'Service',
      'MetricData.member.1.Dimensions.member.1.Value': 'web',
    });
    expect(put.status).toBe(200);
    expect(put.headers.get('content-type')).toContain('xml');
    const putXml = await put.text();
    expect(putXml).toMatch(
      /^<PutMetricDataResponse xmlns="http:\/\/monitoring\.amazonaws\.com\/doc\/2010-08-01\/">/,
    );
    expect(putXml).toContain(`<RequestId>${put.headers.get('x-amzn-requestid')}</RequestId>`);

    const alarm = await query({
      Action: 'PutMetricAlarm',
      AlarmName: 'web-errors',
      Namespace: 'Test/Query',
      MetricName: 'Errors',
      'Dimensions.member.1.Name': 'Service',
      'Dimensions.member.1.Value': 'web',
      Statistic: 'Sum',
      Period: '60',
      EvaluationPeriods: '1',
      Threshold: '0',
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(alarm.status).toBe(200);

    // What the form requests did, read through the JSON protocol.
    const stats = await t.cloudwatch.send(
      new GetMetricStatisticsCommand({
        Namespace: 'Test/Query',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'Service', Value: 'web' }],
        StartTime: new Date(t.world.now() - 60_000),
        EndTime: new Date(t.world.now() + 60_000),
        Period: 60,
        Statistics: ['Sum'],
      }),
    );
    expect(stats.Datapoints?.map((d) => d.Sum)).toEqual([5]);
    const described = await t.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: ['web-errors'] }));
    expect(described.MetricAlarms?.[0]).toMatchObject({
      Threshold: 0,
      Period: 60,
      Dimensions: [{ Name: 'Service', Value: 'web' }],
    });

    // DescribeAlarms in XML: lists as <member>, timestamps in ISO 8601.
    const xml = await (await query({ Action: 'DescribeAlarms', 'AlarmNames.member.1': 'web-errors' })).text();
    expect(xml).toMatch(/<DescribeAlarmsResult>.*<MetricAlarms><member><AlarmName>web-errors<\/AlarmName>/);
    expect(xml).toContain('<Dimensions><member><Name>Service</Name><Value>web</Value></member></Dimensions>');
    expect(xml).toMatch(/<StateUpdatedTimestamp>\d{4}-\d\d-\d\dT[\d:.]+Z<\/StateUpdatedTimestamp>/);
  });

  it('answers errors as an XML ErrorResponse with the Query error code', async () => {
    const res = await query({ Action: 'PutMetricAlarm', AlarmName: 'broken' });
    expect(res.status).toBe(400);
    const xml = await res.text();
    expect(xml).toMatch(
      /^<ErrorResponse xmlns="http:\/\/monitoring\.amazonaws\.com\/doc\/2010-08-01\/"><Error><Type>Sender<\/Type><Code>\w+<\/Code>/,
    );
    const unknown = await query({ Action: 'Fly' });
    expect(await unknown.text()).toContain('<Code>InvalidAction</Code>');
  });
});
