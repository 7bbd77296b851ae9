"""Every method on Digits IR=10 NR=0.1 for a few epochs (hyper-steps from epoch 1): the results and the whole history,
written as JSON without the timing and memory fields, so that two checkouts can be compared exactly.

    OMP_NUM_THREADS=1 python tests/benchmarks/same_results.py OUT.json [EPOCHS]
    python tests/benchmarks/same_results.py --compare A.json B.json
"""
import json, sys, tempfile

VARYING = ('time', 'wall_time_s', 'peak_memory_mb')  # what a machine's load changes

def _stable(d:dict) -> dict: return {k: v for k, v in d.items() if not k.startswith(VARYING)}

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
        same = A.get(m) == B.get(m)
        bad += not same
        print(f"{m:14s} {'same' if same else 'DIFFERENT'}")
        if not same and m in A and m in B:
            ra, rb = A[m]['results'], B[m]['results']
            for k in sorted(set(ra) | set(rb)):
                if ra.get(k) != rb.get(k): print(f'   {k}: {ra.get(k)!r} vs {rb.get(k)!r}'[:200])
    return bad

if __name__ == '__main__':
    if sys.argv[1] == '--compare': sys.exit(compare(*sys.argv[2:4]) > 0)
    measure(sys.argv[1], *(int(a) for a in sys.argv[2:3]))
