#!/usr/bin/env python3
"""For each rollout step: bake start (next step's reachedAt, or the rollout's end, minus the bake),
and the newest RUNNING (and HEALTHY, for container health checks) of the new revision's tasks told before it."""
import json, sys, re, yaml
from datetime import datetime
def ts(s): return datetime.fromisoformat(s.replace('Z', '+00:00')).timestamp()
def dur(s):
    m = re.fullmatch(r'(\d+)([smh])', str(s)); return int(m[1]) * {'s': 1, 'm': 60, 'h': 3600}[m[2]]
for yml in sys.argv[1:]:
    sc = yaml.safe_load(open(yml)); j = json.load(open('/tmp/s14-' + yml.split('/')[-1] + '.json'))
    t0 = ts(j['startedAt'])
    tasks = {}
    for e in j['events']:
        ev = e['event']
        if ev['detail-type'] != 'ECS Task State Change': continue
        d = ev['detail']; arn = d['taskArn']
        rec = tasks.setdefault(arn, {'td': d['taskDefinitionArn'].split('/')[-1], 'group': d.get('group'), 'running': None, 'healthy': None, 'stopped': None})
        if d.get('lastStatus') == 'RUNNING' and rec['running'] is None: rec['running'] = ts(e['at'])
        if d.get('healthStatus') == 'HEALTHY' and rec['healthy'] is None: rec['healthy'] = ts(e['at'])
        if d.get('desiredStatus') == 'STOPPED' and rec['stopped'] is None: rec['stopped'] = ts(e['at'])
    tgt = {t['service']: t for t in sc['autopilot']['targets']}
    for r in j['rollouts']:
        if not r['steps']: continue
        svc = r['service'].split('/')[1]; t = tgt[svc]
        if t.get('strategy', 'canary').startswith('ecs-'): continue
        steps = t.get('steps')
        if not steps and t.get('strategy') == 'linear':
            sp = t['linear']['stepPercent']; steps = [{'percent': p, 'bake': t['linear']['bake']} for p in range(sp, 101, sp)]
        ends = [s.get('reachedAt') for s in r['steps'][1:]] + [r['endedAt'] if r['outcome'] == 'succeeded' else None]
        for i, (s, nxt) in enumerate(zip(r['steps'], ends)):
            if not nxt or not s.get('reachedAt'): continue
            bake = dur(steps[i]['bake']); B = ts(nxt) - bake
            group = 'service:' + (svc + '-canary' if s['percent'] < 100 else svc)
            mine = [x for x in tasks.values() if x['td'] == r['taskDefinition'] and x['group'] == group and x['running'] and x['running'] <= B and (x['stopped'] is None or x['stopped'] > B)]
            notyet = [x for x in tasks.values() if x['td'] == r['taskDefinition'] and x['group'] == group and (x['running'] is None or x['running'] > B) and (x['stopped'] is None or x['stopped'] > B) and x['running'] and x['running'] < ts(nxt)]
            lastrun = max((x['running'] for x in mine), default=None)
            lasthealthy = max((x['healthy'] for x in mine if x['healthy']), default=None)
            rel = lambda v: '-' if v is None else '%dm%02ds' % divmod(int(v - t0), 60)
            print(f"{yml.split('/')[-1][:40]:40} {r['image']} step{i+1} {s['percent']}% reached {rel(ts(s['reachedAt']))} bakeStart {rel(B)} running-by-then {len(mine)} lastRUNNING {rel(lastrun)} (gap {None if lastrun is None else int(B-lastrun)}s) lastHEALTHY {rel(lasthealthy)} startedAfterBake {len(notyet)}")
