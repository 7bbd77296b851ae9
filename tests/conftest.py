import os, sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
# One torch thread per test process and per process it starts: `pytest -n 2` runs two workers on two cores, and two
# processes with two threads each stall each other. Set OMP_NUM_THREADS to choose otherwise.
for var in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS'): os.environ.setdefault(var, '1')

# The modules with the longest tests go first, so that the workers finish together (`pytest -n 2` hands out a module that
# shares a fixture, `xdist_group`, as one unit, the largest first, then the other tests in this order).
LONG_FIRST = ['test_distributed', 'test_train', 'test_own_data', 'test_outputs', 'test_matrix', 'test_experiment_notebook']

def pytest_collection_modifyitems(items):
    rank = {m: i for i, m in enumerate(LONG_FIRST)}
    items.sort(key=lambda item: rank.get(item.module.__name__, len(LONG_FIRST)))
