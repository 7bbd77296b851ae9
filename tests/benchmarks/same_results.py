"""Every method on Digits IR=10 NR=0.1 for a few epochs (hyper-steps from epoch 1): the results and the whole history,
written as JSON without the timing and memory fields, so that two checkouts can be compared exactly.

    OMP_NUM_THREADS=1 python tests/benchmarks/same_results.py OUT.json [EPOCHS]
    python tests/benchmarks/same_results.py --compare A.json B.json
"""
import json, sys, tempfile

VARYING = ('time', 'wall_time_s', 'cleaning_time_s', 'peak_memory_mb')  # what a machine's load changes

def _stable(d:dict) -> dict: return {k: v for k, v in d.items() if not k.startswith(VARYING)}

def _shared(a:dict, b:dict) -> tuple:
    "Two runs' records without the timing fields, and their configs on the settings both have (a new setting at its default is no change)"
    from autodo.config import Config
    from autodo.core import field_defaults
    a, b = _stable(a['results']), _stable(b['results'])
    ca, cb = a.pop('config', {}), b.pop('config', {})
    default = field_defaults(Config)
    new = {k for k in set(ca) ^ set(cb) if (ca | cb)[k] == default.get(k)}
    return a | dict(config={k: v for k, v in ca.items() if k not in new}), b | dict(config={k: v for k, v in cb.items() if k not in new})

def measure(out:str, epochs:int=4):
    from autodo import train as T
    got = {}
    with tempfile.TemporaryDirectory() as root:
        for method in T.METHODS:
            run = T.train('Digits', method, ir=10, nr=0.1, epochs=epochs, hyper_start=1, root=root, progress=False)
            got[method] = dict(results=_stable(run.results), history=[_stable(h) for h in run.history])
            print(method, run.results['test_error_best'], run.results['test_error_final'], flush=True)
    with open(out, 'w') as f: json.dump(got, f, indent=1, sort_keys=True)

def compare(a:str, b:str) -> int:
    A, B = json.load(open(a)), json.load(open(b))
    bad = 0
    for m in sorted(set(A) | set(B)):
        ra, rb = _shared(A[m], B[m]) if m in A and m in B else (None, None)
        same = ra is not None and ra == rb and [_stable(h) for h in A[m]['history']] == [_stable(h) for h in B[m]['history']]
        bad += not same
        print(f"{m:14s} {'same' if same else 'DIFFERENT'}")
        if not same and m in A and m in B:
            for k in sorted(set(ra) | set(rb)):
                if ra.get(k) != rb.get(k): print(f'   {k}: {ra.get(k)!r} vs {rb.get(k)!r}'[:200])
    return bad

if __name__ == '__main__':
    if sys.argv[1] == '--compare': sys.exit(compare(*sys.argv[2:4]) > 0)
    measure(sys.argv[1], *(int(a) for a in sys.argv[2:3]))
