/**
 * Which of ECS's deployment events the ecs-deployment rule brings (lib/rules.ts deploymentsStarting),
 * matched by the local EventBridge's pattern engine, as AWS's would: a deployment starting only for
 * services under ECS's own strategies; every other state change for every managed service.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../lib/config-file.ts';
import { eventRules } from '../lib/rules.ts';
import { matchesPattern, validatePattern } from '../local/services/eventbridge/pattern.ts';

const SAMPLE = JSON.parse(
  readFileSync('test/fixtures/events/ecs-deployment-state-change-failed.json', 'utf8'),
);
const arn = (service: string, resource: string) => `arn:aws:${service}:us-west-2:111122223333:${resource}`;
const event = (resource: string, eventName: string) => ({
  ...SAMPLE,
  resources: [arn('ecs', `service/${resource}`)],
  detail: { ...SAMPLE.detail, eventType: 'INFO', eventName },
});
const rule = (yaml: string) => {
  const found = eventRules(parseConfig(yaml), arn).find((r) => r.name === 'ecs-deployment');
  if (!found?.pattern) throw new Error('no ecs-deployment rule');
  return found.pattern;
};

const STEPPED = 'targets:\n  - { cluster: prod, service: web, repository: web }\n';
const MIXED = `${STEPPED}  - { cluster: prod, service: api, repository: api, strategy: ecs-canary }\n`;
const NATIVE = 'targets:\n  - { cluster: prod, service: api, repository: api, strategy: ecs-canary }\n';

describe('the ecs-deployment rule', () => {
  it.each([
    ['stepped only', STEPPED, 'prod/web', 'SERVICE_DEPLOYMENT_IN_PROGRESS', false],
    ['stepped only', STEPPED, 'prod/web', 'SERVICE_DEPLOYMENT_COMPLETED', true],
    ['stepped only', STEPPED, 'prod/web', 'SERVICE_DEPLOYMENT_FAILED', true],
    ['stepped only', STEPPED, 'prod/web-canary', 'SERVICE_DEPLOYMENT_IN_PROGRESS', false],
    ['stepped only', STEPPED, 'prod/web-canary', 'SERVICE_DEPLOYMENT_COMPLETED', true],
    ['stepped only', STEPPED, 'prod/other', 'SERVICE_DEPLOYMENT_COMPLETED', false],
    ['mixed', MIXED, 'prod/web', 'SERVICE_DEPLOYMENT_IN_PROGRESS', false],
    ['mixed', MIXED, 'prod/api', 'SERVICE_DEPLOYMENT_IN_PROGRESS', true],
    ['mixed', MIXED, 'prod/api', 'SERVICE_DEPLOYMENT_COMPLETED', true],
    ['mixed', MIXED, 'prod/web', 'SERVICE_DEPLOYMENT_FAILED', true],
    ['ECS strategies only', NATIVE, 'prod/api', 'SERVICE_DEPLOYMENT_IN_PROGRESS', true],
  ])('%s: %s %s -> %s', (_, yaml, service, eventName, brought) => {
    expect(matchesPattern(rule(yaml), event(service, eventName))).toBe(brought);
  });

  it('is a pattern EventBridge accepts, in each form', () => {
    for (const yaml of [STEPPED, MIXED, NATIVE]) expect(validatePattern(rule(yaml))).toBeUndefined();
  });
});
