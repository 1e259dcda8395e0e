/**
 * The JSON types of ECS request members, checked before an operation runs: AWS's JSON protocols
 * deserialize the body against the API model first and answer a member of the wrong JSON type with
 * `SerializationException` (400), before any validation of values. Without this check
 * `DescribeClusters {"clusters":"prod"}` iterated the string and answered four MISSING failures.
 *
 * Only the members the local ECS reads are listed (top level, and one level into the structures
 * named in NESTED); their types are those of the API model (@aws-sdk/client-ecs 3.1164). The message
 * follows the wording of AWS's JSON services ("STRING_VALUE can not be converted to a Collection").
 *
 *   jsonTypeProblem({ clusters: 'prod' })             → 'STRING_VALUE can not be converted to a Collection'
 *   jsonTypeProblem({ desiredCount: '2' })            → 'STRING_VALUE can not be converted to an Integer'
 *   jsonTypeProblem({ deploymentConfiguration: { maximumPercent: true } })
 *                                                     → 'BOOLEAN_VALUE can not be converted to an Integer'
 *   jsonTypeProblem({ clusters: ['prod'] })           → undefined
 */
import { AwsError } from '../../core/errors.ts';

type Kind = 'string' | 'integer' | 'boolean' | 'list' | 'structure';

const MEMBERS: Record<string, Kind> = {
  cluster: 'string',
  clusters: 'list',
  clusterName: 'string',
  service: 'string',
  serviceName: 'string',
  services: 'list',
  taskDefinition: 'string',
  family: 'string',
  familyPrefix: 'string',
  containerDefinitions: 'list',
  requiresCompatibilities: 'list',
  networkMode: 'string',
  desiredCount: 'integer',
  task: 'string',
  tasks: 'list',
  include: 'list',
  count: 'integer',
  maxResults: 'integer',
  nextToken: 'string',
  launchType: 'string',
  platformVersion: 'string',
  networkConfiguration: 'structure',
  deploymentConfiguration: 'structure',
  deploymentController: 'structure',
  loadBalancers: 'list',
  serviceRegistries: 'list',
  tags: 'list',
  tagKeys: 'list',
  resourceArn: 'string',
  placementStrategy: 'list',
  placementConstraints: 'list',
  capacityProviderStrategy: 'list',
  capacityProviders: 'list',
  defaultCapacityProviderStrategy: 'list',
  settings: 'list',
  healthCheckGracePeriodSeconds: 'integer',
  forceNewDeployment: 'boolean',
  enableExecuteCommand: 'boolean',
  enableECSManagedTags: 'boolean',
  containerInstance: 'string',
  containerInstances: 'list',
  serviceDeploymentArns: 'list',
  startedBy: 'string',
  reason: 'string',
  desiredStatus: 'string',
  status: 'string',
  clientToken: 'string',
  schedulingStrategy: 'string',
  propagateTags: 'string',
  volumes: 'list',
};

const NESTED: Record<string, Record<string, Kind>> = {
  deploymentConfiguration: {
    maximumPercent: 'integer',
    minimumHealthyPercent: 'integer',
    deploymentCircuitBreaker: 'structure',
    alarms: 'structure',
  },
  networkConfiguration: { awsvpcConfiguration: 'structure' },
};

const TYPE_NAME: Record<Kind, string> = {
  string: 'a String',
  integer: 'an Integer',
  boolean: 'a Boolean',
  list: 'a Collection',
  structure: 'a Structure',
};

function token(v: unknown): string {
  if (Array.isArray(v)) return 'START_ARRAY';
  if (typeof v === 'object') return 'START_OBJECT';
  if (typeof v === 'string') return 'STRING_VALUE';
  if (typeof v === 'boolean') return 'BOOLEAN_VALUE';
  return Number.isInteger(v) ? 'NUMBER_INT' : 'NUMBER_FLOAT';
}

function fits(v: unknown, kind: Kind): boolean {
  if (v === null || v === undefined) return true;
  switch (kind) {
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'list':
      return Array.isArray(v);
    case 'structure':
      return typeof v === 'object' && !Array.isArray(v);
  }
}

function check(input: Record<string, unknown>, members: Record<string, Kind>): string | undefined {
  for (const [name, kind] of Object.entries(members)) {
    const v = input[name];
    if (!fits(v, kind)) return `${token(v)} can not be converted to ${TYPE_NAME[kind]}`;
    const nested = NESTED[name];
    if (nested && v && typeof v === 'object') {
      const problem = check(v as Record<string, unknown>, nested);
      if (problem) return problem;
    }
  }
  return undefined;
}

/** The first member of the wrong JSON type, as AWS words it, or undefined. */
export function jsonTypeProblem(input: unknown): string | undefined {
  if (input === null || input === undefined) return undefined;
  if (typeof input !== 'object' || Array.isArray(input))
    return `${token(input)} can not be converted to a Structure`;
  return check(input as Record<string, unknown>, MEMBERS);
}

/** Throws SerializationException (400) for a member of the wrong JSON type. */
export function checkJsonTypes(input: unknown): void {
  const problem = jsonTypeProblem(input);
  if (problem) throw new AwsError('SerializationException', problem);
}
