#!/usr/bin/env python3
"""Runs each stranger14 scenario (or those named) and prints a summary per file."""
import json, subprocess, sys, glob, os, re, collections
from datetime import datetime
here = os.path.dirname(os.path.abspath(__file__))
files = sys.argv[1:] or sorted(glob.glob(os.path.join(here, '*.yml')))
def ts(s): return datetime.fromisoformat(s.replace('Z', '+00:00')).timestamp()
def run(f):
    p = subprocess.run(['node', 'bin/autopilot.js', 'sim', f, '--json'], cwd='/work/main', capture_output=True, text=True)
    out = p.stdout
    m = re.search(r'^── slack', out, re.M)
    js = out[:m.start()] if m else out
    try: return json.loads(js), p
    except Exception: return None, p
for f in files:
    j, p = run(f)
    print('=' * 100); print(os.path.basename(f), 'rc', p.returncode)
    if j is None: print('NO JSON', p.stdout[:500], p.stderr[:2000]); continue
    t0 = ts(j['startedAt'])
    rel = lambda s: '%dm%02ds' % divmod(int(ts(s) - t0), 60) if s else '-'
    print('endedBy', j['endedBy'], 'endedAt', rel(j['endedAt']), 'apiCalls', sum(j['apiCalls'].values()))
    for r in j.get('rollouts', []):
        print(' ROLLOUT', r['service'], r['image'], r.get('taskDefinition'), r['strategy'], '->', r['outcome'], '|', (r.get('reason') or '')[:260])
        print('   start', rel(r['startedAt']), 'end', rel(r.get('endedAt')), 'dur', (ts(r['endedAt']) - ts(r['startedAt'])) if r.get('endedAt') else None)
        print('   steps', [(s['percent'], rel(s.get('reachedAt')), s.get('servedShare')) for s in r.get('steps', [])])
    print(' violations', json.dumps(j.get('violations'))[:1500])
    print(' faults', json.dumps(j.get('faults'))[:600])
    cnt = collections.Counter()
    for n in j.get('notifications', []):
        cnt[(n['kind'], n['outcome'])] += 1
        if len(n.get('attempts', [])) > 1 or n['outcome'] != 'sent':
            print('   notif', n['kind'], n['outcome'], rel(n['at']), [a['result'] for a in n['attempts']], n['text'][:90])
    texts = collections.Counter(n['text'] for n in j.get('notifications', []))
    dups = [t for t, c in texts.items() if c > 1]
    print(' notifications', dict(cnt), 'dupTexts', dups[:3])
    slack = [l for l in p.stdout.splitlines() + p.stderr.splitlines() if l.startswith('── slack')]
    print(' slack printed', len(slack))
    for s in j.get('services', []):
        print('  svc', s['cluster'], s['name'], s['taskDefinition'], 'desired', s['desiredCount'], 'running', s['runningCount'], [(d['status'], d['taskDefinition'], d.get('rolloutState'), d['desiredCount'], d['runningCount']) for d in s['deployments']])
    if p.stderr.strip():
        errs = [l for l in p.stderr.splitlines() if not l.startswith('──') and l.strip()][:5]
        if errs and not slack: print(' stderr', errs)
    json.dump(j, open(('/tmp/s14nf-' if '/tmp/' in f else '/tmp/s14-') + os.path.basename(f) + '.json', 'w'))
