import { describe, expect, it } from 'vitest';
import { Random } from '../../local/core/random.ts';
import { ClusterQueryError } from '../../local/services/ecs/cluster-query.ts';
import {
  applyPlacement,
  effectiveStrategy,
  type InstanceView,
  instanceAttributes,
  type PlacementRequest,
  type PlacementResult,
  placementFailureMessage,
  placeTask,
  placeTasks,
  runTaskFailureReason,
  SERVICE_DEFAULT_STRATEGY,
  validatePlacement,
} from '../../local/services/ecs/placement.ts';

/** Deterministic PRNG (mulberry32) standing in for the `random` argument. */
function seeded(seed: number): () => number {
  return new Random(seed).next;
}

const noRandom = () => {
  throw new Error('random() should not be needed here');
};

function instance(id: string, over: Partial<InstanceView> = {}): InstanceView {
  return {
    arn: `arn:aws:ecs:us-east-1:000000000000:container-instance/demo/${id}`,
    id,
    availabilityZone: 'us-east-1a',
    instanceType: 't3.medium',
    attributes: {},
    remaining: { cpu: 2048, memory: 4096 },
    usedHostPorts: [],
    taskGroups: [],
    ...over,
  };
}

function request(over: Partial<PlacementRequest> = {}): PlacementRequest {
  return {
    cpu: 256,
    memory: 512,
    hostPorts: [],
    group: 'service:web',
    strategy: [],
    constraints: [],
    ...over,
  };
}

/** The instance id each placement landed on, or 'FAIL'. */
const ids = (results: PlacementResult[]): string[] => results.map((r) => (r.ok ? r.instance.id : 'FAIL'));

const tally = (values: string[]): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
};

describe('binpack', () => {
  it.each([
    {
      name: 'memory: fills the instance with the least remaining memory first, then the next',
      instances: [
        instance('roomy', { remaining: { cpu: 4096, memory: 4096 } }),
        instance('tight', { remaining: { cpu: 4096, memory: 1024 } }),
        instance('middle', { remaining: { cpu: 4096, memory: 2048 } }),
      ],
      strategy: [{ type: 'binpack' as const, field: 'memory' }],
      count: 5,
      // tight takes 2 x 512, then middle (2048) is the least remaining that still fits
      expected: ['tight', 'tight', 'middle', 'middle', 'middle'],
    },
    {
      name: 'cpu: fills the instance with the least remaining CPU first',
      instances: [
        instance('a', { remaining: { cpu: 1024, memory: 8192 } }),
        instance('b', { remaining: { cpu: 512, memory: 8192 } }),
      ],
      strategy: [{ type: 'binpack' as const, field: 'cpu' }],
      count: 3,
      expected: ['b', 'b', 'a'],
    },
  ])('$name', ({ instances, strategy, count, expected }) => {
    expect(ids(placeTasks(instances, request({ strategy }), count, noRandom))).toEqual(expected);
  });

  it('with identical instances, packs every copy onto whichever one it picked first', () => {
    const instances = ['i1', 'i2', 'i3'].map((id) => instance(id));
    for (const seed of [1, 2, 3, 4]) {
      const placed = ids(
        placeTasks(instances, request({ strategy: [{ type: 'binpack', field: 'memory' }] }), 8, seeded(seed)),
      );
      expect(new Set(placed).size).toBe(1); // 8 x 512 MiB = 4096 MiB: exactly one instance's memory
    }
  });
});

describe('spread', () => {
  const threeZones = [
    instance('a1', { availabilityZone: 'us-east-1a' }),
    instance('a2', { availabilityZone: 'us-east-1a' }),
    instance('b1', { availabilityZone: 'us-east-1b' }),
    instance('c1', { availabilityZone: 'us-east-1c' }),
  ];
  const zoneOf = (id: string) => threeZones.find((i) => i.id === id)!.availabilityZone;

  it('on attribute:ecs.availability-zone puts 6 tasks over 3 AZs as 2 each', () => {
    for (const seed of [7, 8, 9]) {
      const results = placeTasks(
        threeZones,
        request({ strategy: [{ type: 'spread', field: 'attribute:ecs.availability-zone' }] }),
        6,
        seeded(seed),
      );
      expect(tally(ids(results).map(zoneOf))).toEqual({ 'us-east-1a': 2, 'us-east-1b': 2, 'us-east-1c': 2 });
    }
  });

  it('counts tasks of the same group already running, and ignores other groups', () => {
    const instances = [
      instance('a', { availabilityZone: 'us-east-1a', taskGroups: ['service:web', 'service:web'] }),
      instance('b', { availabilityZone: 'us-east-1b', taskGroups: ['service:other', 'service:other'] }),
      instance('c', { availabilityZone: 'us-east-1c' }),
    ];
    const results = placeTasks(
      instances,
      request({ strategy: [{ type: 'spread', field: 'attribute:ecs.availability-zone' }] }),
      4,
      seeded(3),
    );
    expect(tally(ids(results))).toEqual({ b: 2, c: 2 });
  });

  it.each(['instanceId', 'host'])('on %s puts 6 tasks on 3 instances as 2 each', (field) => {
    const instances = [instance('x'), instance('y'), instance('z')];
    const results = placeTasks(instances, request({ strategy: [{ type: 'spread', field }] }), 6, seeded(11));
    expect(tally(ids(results))).toEqual({ x: 2, y: 2, z: 2 });
  });

  it('on a custom attribute balances across its values', () => {
    const instances = [
      instance('r1', { attributes: { rack: 'r1' } }),
      instance('r1b', { attributes: { rack: 'r1' } }),
      instance('r2', { attributes: { rack: 'r2' } }),
    ];
    const results = placeTasks(
      instances,
      request({ strategy: [{ type: 'spread', field: 'attribute:rack' }] }),
      4,
      seeded(5),
    );
    const rackOf = (id: string) => instances.find((i) => i.id === id)!.attributes.rack;
    expect(tally(ids(results).map((id) => rackOf(id)!))).toEqual({ r1: 2, r2: 2 });
  });

  it('then binpack on memory: balances the zones and packs within each zone', () => {
    const instances = [
      instance('a-roomy', { availabilityZone: 'us-east-1a', remaining: { cpu: 4096, memory: 8192 } }),
      instance('a-tight', { availabilityZone: 'us-east-1a', remaining: { cpu: 4096, memory: 2048 } }),
      instance('b-roomy', { availabilityZone: 'us-east-1b', remaining: { cpu: 4096, memory: 8192 } }),
      instance('b-tight', { availabilityZone: 'us-east-1b', remaining: { cpu: 4096, memory: 3072 } }),
    ];
    const results = placeTasks(
      instances,
      request({
        strategy: [
          { type: 'spread', field: 'attribute:ecs.availability-zone' },
          { type: 'binpack', field: 'memory' },
        ],
      }),
      6,
      noRandom,
    );
    // AZ a then b alternate (first pick: both zones empty, binpack picks the least memory overall: a-tight)
    expect(ids(results)).toEqual(['a-tight', 'b-tight', 'a-tight', 'b-tight', 'a-tight', 'b-tight']);
  });

  it('ECS default for services (no strategy): spread across AZs, then across instances', () => {
    expect(effectiveStrategy(request({ strategy: [] }))).toEqual(SERVICE_DEFAULT_STRATEGY);
    expect(SERVICE_DEFAULT_STRATEGY).toEqual([
      { type: 'spread', field: 'attribute:ecs.availability-zone' },
      { type: 'spread', field: 'instanceId' },
    ]);
    const instances = [
      instance('a1', { availabilityZone: 'us-east-1a' }),
      instance('a2', { availabilityZone: 'us-east-1a' }),
      instance('a3', { availabilityZone: 'us-east-1a' }),
      instance('b1', { availabilityZone: 'us-east-1b' }),
    ];
    const results = placeTasks(instances, request(), 6, seeded(21));
    // 3 per AZ; within us-east-1a one per instance; b1 takes its zone's 3
    expect(tally(ids(results))).toEqual({ a1: 1, a2: 1, a3: 1, b1: 3 });
  });

  it('a standalone task with no strategy is placed at random (through the random argument)', () => {
    const instances = [instance('first'), instance('second'), instance('third')];
    const standalone = request({ group: 'family:batch' });
    expect(effectiveStrategy(standalone)).toEqual([{ type: 'random' }]);
    expect(placeTask(instances, standalone, () => 0)).toMatchObject({ ok: true, instance: { id: 'first' } });
    expect(placeTask(instances, standalone, () => 0.99)).toMatchObject({
      ok: true,
      instance: { id: 'third' },
    });
  });
});

describe('random strategy', () => {
  it('picks among the candidates with the random argument only', () => {
    const instances = [instance('p'), instance('q'), instance('r'), instance('s')];
    const random = { type: 'random' as const };
    expect(placeTask(instances, request({ strategy: [random] }), () => 0.5)).toMatchObject({
      instance: { id: 'r' },
    });
    expect(placeTask(instances, request({ strategy: [random] }), () => 0.26)).toMatchObject({
      instance: { id: 'q' },
    });
    // random picks one candidate, so a strategy after it has nothing left to order
    const roomyFirst = [instance('roomy', { remaining: { cpu: 4096, memory: 8192 } }), instance('tight')];
    const randomThenBinpack = request({ strategy: [random, { type: 'binpack', field: 'memory' }] });
    expect(placeTask(roomyFirst, randomThenBinpack, () => 0)).toMatchObject({ instance: { id: 'roomy' } });
    // and random() is not called when a single instance fits
    const onlyOneFits = [instance('full', { remaining: { cpu: 0, memory: 0 } }), instance('fits')];
    expect(placeTask(onlyOneFits, request({ strategy: [random] }), noRandom)).toMatchObject({
      instance: { id: 'fits' },
    });
    const a = ids(placeTasks(instances, request({ strategy: [random] }), 10, seeded(42)));
    const b = ids(placeTasks(instances, request({ strategy: [random] }), 10, seeded(42)));
    expect(a).toEqual(b);
  });
});

describe('constraints', () => {
  it('distinctInstance: 4 tasks on 3 instances, the 4th fails', () => {
    const instances = [instance('d1'), instance('d2'), instance('d3')];
    const results = placeTasks(
      instances,
      request({ constraints: [{ type: 'distinctInstance' }] }),
      4,
      seeded(1),
    );
    expect(new Set(ids(results.slice(0, 3)))).toEqual(new Set(['d1', 'd2', 'd3']));
    const last = results[3]!;
    expect(last.ok).toBe(false);
    expect(!last.ok && last.reason).toBe(
      'service web was unable to place a task because no container instance met all of its requirements. ' +
        'The closest matching container-instance d1 encountered error "DistinctInstance placement constraint ' +
        'unsatisfied.". For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.',
    );
  });

  it('distinctInstance only looks at tasks of the same group', () => {
    const instances = [instance('busy', { taskGroups: ['service:other'] })];
    const result = placeTask(instances, request({ constraints: [{ type: 'distinctInstance' }] }), noRandom);
    expect(result).toMatchObject({ ok: true, instance: { id: 'busy' } });
  });

  it('memberOf: only t2.* instances are used', () => {
    const instances = [
      instance('t2a', { instanceType: 't2.micro' }),
      instance('m5', { instanceType: 'm5.large' }),
      instance('t2b', { instanceType: 't2.small' }),
      instance('c5', { instanceType: 'c5.xlarge' }),
    ];
    const results = placeTasks(
      instances,
      request({
        strategy: [{ type: 'spread', field: 'instanceId' }],
        constraints: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type =~ t2.*' }],
      }),
      6,
      seeded(2),
    );
    expect(tally(ids(results))).toEqual({ t2a: 3, t2b: 3 });
  });

  it('memberOf: a failing expression produces the MemberOf event naming the closest instance', () => {
    const instances = [
      instance('m5', { instanceType: 'm5.large', remaining: { cpu: 128, memory: 4096 } }),
      instance('c5', { instanceType: 'c5.large' }),
    ];
    const result = placeTask(
      instances,
      request({ constraints: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type =~ t2.*' }] }),
      noRandom,
    );
    expect(result).toEqual({
      ok: false,
      reason:
        'service web was unable to place a task because no container instance met all of its requirements. ' +
        'The closest matching container-instance c5 encountered error "MemberOf placement constraint unsatisfied.". ' +
        'For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.',
      cause: { kind: 'constraint', constraint: 'MemberOf', instanceId: 'c5' },
      closest: instances[1],
    });
  });

  it('memberOf sees tasks placed earlier in the same batch (task:group affinity)', () => {
    // Co-locate with the database: only instances already hosting a service:db task qualify.
    const instances = [instance('plain'), instance('with-db', { taskGroups: ['service:db'] })];
    const results = placeTasks(
      instances,
      request({ constraints: [{ type: 'memberOf', expression: 'task:group == service:db' }] }),
      2,
      seeded(4),
    );
    expect(ids(results)).toEqual(['with-db', 'with-db']);
    // Anti-affinity with its own group behaves like distinctInstance.
    const anti = placeTasks(
      [instance('one'), instance('two')],
      request({ constraints: [{ type: 'memberOf', expression: 'not(task:group == service:web)' }] }),
      3,
      seeded(4),
    );
    expect(ids(anti).sort()).toEqual(['FAIL', 'one', 'two']);
  });

  it('memberOf on built-in attributes: availability zone, os type, cpu architecture, ami id, custom', () => {
    const instances = [
      instance('x86-a', { availabilityZone: 'us-east-1a', attributes: { 'ecs.ami-id': 'ami-1234abcd' } }),
      instance('arm-b', {
        availabilityZone: 'us-east-1b',
        instanceType: 'm6g.large',
        attributes: { team: 'blue' },
      }),
      instance('win-b', {
        availabilityZone: 'us-east-1b',
        attributes: { 'ecs.os-type': 'windows', 'ecs.cpu-architecture': 'x86_64' },
      }),
    ];
    const where = (expression: string) =>
      instances
        .filter(
          (i) => placeTask([i], request({ constraints: [{ type: 'memberOf', expression }] }), noRandom).ok,
        )
        .map((i) => i.id);
    expect(where('attribute:ecs.availability-zone == us-east-1b')).toEqual(['arm-b', 'win-b']);
    expect(where('attribute:ecs.os-type == linux')).toEqual(['x86-a', 'arm-b']);
    expect(where('attribute:ecs.cpu-architecture == arm64')).toEqual(['arm-b']);
    expect(where('attribute:ecs.ami-id == ami-1234abcd')).toEqual(['x86-a']);
    expect(where('attribute:team exists')).toEqual(['arm-b']);
    expect(where('attribute:ecs.instance-type in [m6g.large, t3.medium]')).toEqual([
      'x86-a',
      'arm-b',
      'win-b',
    ]);
    expect(instanceAttributes(instances[1]!)).toMatchObject({
      'ecs.instance-type': 'm6g.large',
      'ecs.availability-zone': 'us-east-1b',
      'ecs.os-type': 'linux',
      'ecs.cpu-architecture': 'arm64',
      team: 'blue',
    });
  });
});

describe('host ports', () => {
  it('a fixed host port blocks a second copy on the same instance', () => {
    const results = placeTasks([instance('solo')], request({ hostPorts: [80] }), 2, noRandom);
    expect(results[0]).toMatchObject({ ok: true, instance: { id: 'solo' } });
    expect(results[1]).toEqual({
      ok: false,
      reason:
        'service web was unable to place a task because no container instance met all of its requirements. ' +
        'The closest matching container-instance solo is already using a port required by your task. ' +
        'For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.',
      cause: { kind: 'ports', instanceId: 'solo' },
      closest: expect.objectContaining({ id: 'solo' }),
    });
  });

  it('with a fixed host port, each copy needs its own instance', () => {
    const results = placeTasks(
      [instance('h1'), instance('h2')],
      request({ hostPorts: [8080] }),
      3,
      seeded(6),
    );
    expect(ids(results).sort()).toEqual(['FAIL', 'h1', 'h2']);
  });

  it('a port already used by another task on the instance blocks it', () => {
    const result = placeTask(
      [instance('used', { usedHostPorts: [22, 443] })],
      request({ hostPorts: [443] }),
      noRandom,
    );
    expect(result).toMatchObject({ ok: false, cause: { kind: 'ports', instanceId: 'used' } });
  });

  it.each([
    { hostPorts: [] as number[], label: 'no fixed ports' },
    { hostPorts: [0], label: 'host port 0 (dynamic)' },
  ])('$label: several copies fit on one instance', ({ hostPorts }) => {
    const results = placeTasks([instance('bridge')], request({ hostPorts }), 4, noRandom);
    expect(ids(results)).toEqual(['bridge', 'bridge', 'bridge', 'bridge']);
  });
});

describe('resource exhaustion and failure messages', () => {
  const head =
    'service web was unable to place a task because no container instance met all of its requirements. ';
  const tail = ' For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.';

  it.each([
    {
      name: 'insufficient memory',
      instances: [instance('mem', { remaining: { cpu: 4096, memory: 256 } })],
      reason: `${head}The closest matching container-instance mem has insufficient memory available.${tail}`,
      code: 'RESOURCE:MEMORY',
    },
    {
      name: 'insufficient CPU',
      instances: [instance('cpu', { remaining: { cpu: 128, memory: 4096 } })],
      reason: `${head}The closest matching container-instance cpu has insufficient CPU units available.${tail}`,
      code: 'RESOURCE:CPU',
    },
    {
      // one lacks CPU, the other has CPU but lacks memory: the second got further, so it is the closest
      name: 'closest matching is the instance that passed the most checks',
      instances: [
        instance('no-cpu', { remaining: { cpu: 0, memory: 0 } }),
        instance('no-mem', { remaining: { cpu: 1024, memory: 100 } }),
      ],
      reason: `${head}The closest matching container-instance no-mem has insufficient memory available.${tail}`,
      code: 'RESOURCE:MEMORY',
    },
    {
      name: 'no container instances',
      instances: [],
      reason: `${head}Reason: No Container Instances were found in your cluster.${tail}`,
      code: 'No Container Instances were found in your cluster.',
    },
  ])('$name', ({ instances, reason, code }) => {
    const service = placeTask(instances, request(), noRandom);
    expect(service.ok).toBe(false);
    expect(!service.ok && service.reason).toBe(reason);
    // A standalone task gets RunTask's failure reason instead of a service event.
    const standalone = placeTask(instances, request({ group: 'family:batch' }), noRandom);
    expect(!standalone.ok && standalone.reason).toBe(code);
    expect(!service.ok && service.cause && runTaskFailureReason(service.cause)).toBe(code);
  });

  it('memory runs out after as many copies as fit', () => {
    const results = placeTasks(
      [instance('m', { remaining: { cpu: 4096, memory: 1536 } })],
      request(),
      4,
      noRandom,
    );
    expect(ids(results)).toEqual(['m', 'm', 'm', 'FAIL']);
    expect(!results[3]!.ok && results[3]!.reason).toContain(
      'container-instance m has insufficient memory available.',
    );
  });

  it('CPU runs out after as many copies as fit', () => {
    const results = placeTasks(
      [instance('c', { remaining: { cpu: 512, memory: 8192 } })],
      request(),
      3,
      noRandom,
    );
    expect(ids(results)).toEqual(['c', 'c', 'FAIL']);
    expect(!results[2]!.ok && results[2]!.reason).toContain(
      'container-instance c has insufficient CPU units available.',
    );
  });

  it('placementFailureMessage builds every documented variant', () => {
    expect(placementFailureMessage('api', { kind: 'cpu', instanceId: 'abc' })).toBe(
      'service api was unable to place a task because no container instance met all of its requirements. ' +
        'The closest matching container-instance abc has insufficient CPU units available. ' +
        'For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.',
    );
    expect(
      placementFailureMessage('api', { kind: 'constraint', constraint: 'MemberOf', instanceId: 'abc' }),
    ).toContain(
      'container-instance abc encountered error "MemberOf placement constraint unsatisfied.". For more',
    );
    expect(runTaskFailureReason({ kind: 'ports', instanceId: 'abc' })).toBe('RESOURCE:PORTS');
    expect(
      runTaskFailureReason({ kind: 'constraint', constraint: 'DistinctInstance', instanceId: 'x' }),
    ).toBe('DistinctInstance placement constraint unsatisfied.');
  });
});

describe('placeTasks bookkeeping', () => {
  it('returns the caller’s views, leaves them untouched, and updates its own copies', () => {
    const instances = [instance('keep', { usedHostPorts: [22], taskGroups: ['service:other'] })];
    const before = structuredClone(instances);
    const results = placeTasks(instances, request({ hostPorts: [80], cpu: 100, memory: 200 }), 1, noRandom);
    expect(results[0]!.ok && results[0]!.instance).toBe(instances[0]);
    expect(instances).toEqual(before);
    expect(
      applyPlacement(instances[0]!, request({ hostPorts: [80, 0], cpu: 100, memory: 200 })),
    ).toMatchObject({
      remaining: { cpu: 1948, memory: 3896 },
      usedHostPorts: [22, 80],
      taskGroups: ['service:other', 'service:web'],
    });
  });

  it('placeTask does not call random when there is a single best candidate', () => {
    const instances = [instance('big', { remaining: { cpu: 4096, memory: 8192 } }), instance('small')];
    expect(
      placeTask(instances, request({ strategy: [{ type: 'binpack', field: 'memory' }] }), noRandom),
    ).toMatchObject({
      instance: { id: 'small' },
    });
  });
});

describe('invalid requests throw (InvalidParameterException in the model)', () => {
  it.each([
    [{ strategy: [{ type: 'binpack' as const, field: 'disk' }] }, /binpack: expected cpu or memory/],
    [{ strategy: [{ type: 'binpack' as const }] }, /binpack: expected cpu or memory/],
    [{ strategy: [{ type: 'spread' as const }] }, /spread: expected instanceId, host or attribute/],
    [
      { strategy: [{ type: 'spread' as const, field: 'cpu' }] },
      /spread: expected instanceId, host or attribute/,
    ],
    [
      { strategy: Array.from({ length: 6 }, () => ({ type: 'random' as const })) },
      /maximum of 5 placement strategies/,
    ],
    [{ constraints: [{ type: 'memberOf' as const }] }, /memberOf placement constraint needs an expression/],
    [
      { constraints: [{ type: 'distinctInstance' as const, expression: 'attribute:a exists' }] },
      /cannot specify an expression if the constraint type is distinctInstance/,
    ],
    [
      { constraints: [{ type: 'memberOf' as const, expression: `attribute:a == ${'x'.repeat(2000)}` }] },
      /limited to 2000 characters/,
    ],
  ])('%j', (over, message) => {
    expect(() => validatePlacement(request(over))).toThrow(message);
    expect(() => placeTask([instance('any')], request(over), noRandom)).toThrow(message);
  });

  it('a bad memberOf expression throws the ClusterQueryError with its position', () => {
    const bad = request({
      constraints: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type ~= t2.*' }],
    });
    expect(() => placeTasks([instance('any')], bad, 2, noRandom)).toThrow(ClusterQueryError);
    expect(() => placeTask([instance('any')], bad, noRandom)).toThrow(/at position 28: expected an operator/);
  });
});
