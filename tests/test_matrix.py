"""The configuration matrix: every path a user takes ends with exit 0 and no traceback, writes its results and figures, reports
finite numbers, and for AutoDO methods shows hyperparameters that moved.

How the cases were chosen (`matrix.py` makes them):
- all pairs of five factors, since their full product (1,280 runs) is not cheap: data (the embedded Digits; MNIST-format IDX
  files; a greyscale image folder of mixed sizes with train/ only; a colour one of mixed sizes with valid/ and test/; a `Dataset`
  object) x scale (cpu; paper: the MNIST preset on Digits, on the IDX files and, through like=MNIST, on the greyscale folder and
  the `Dataset`; the SVHN preset through like=SVHN on the colour folder) x entry point (`train()`, `autodo-train`, the experiment
  notebook through papermill, `autodo-table` with the local launcher) x method (the paper's 8; cl_baseline, which cleans
  with confident learning first; the simple losses la, gce, sce, la_gce and la_sce) x (IR, NR) in {1, 10} x {0, 0.2}: about
  70 runs that hold every allowed pair of values at least once (a `Dataset` object exists only in Python, so it reaches `train()` alone).
  IR and NR are one factor, so the full product of method x IR x NR (clean and noisy, balanced and imbalanced) is among them.
  The pairs of (notebook or `autodo-table`) x the paper's methods are left to the default table below, which runs each through both.
  The SVHN preset's network, WRN-28-10, is swapped for the small CNN there: one step of it on 16 images takes 12 s on one CPU
  thread; `04_models` checks the network, and `tests/benchmarks/cuda_check.py` trains it on a GPU;
- the default `autodo-table --dataset Digits` (the paper's 8 methods x 2 columns, one run each), then `autodo-results` and
  `autodo-density` over what it made;
- a wheel installed, not editable, in a fresh virtual environment, running `autodo-train`, `autodo-table`, `autodo-results` and
  `autodo-density` from another folder.
Every run is tiny: 2 epochs (the second with a hyper pass) on a few hundred points, one case a test, so that `pytest -n 2` shares
them between its workers (one thread each).
"""
import json
from pathlib import Path
import pytest
import matrix
from matrix import LEARNS, METHODS, all_pairs, case_id

CASES = PAIRS = all_pairs()

def test_the_pairwise_cases_hold_every_allowed_pair():
    f = matrix.PAIRWISE
    held = set().union(*(matrix._pairs(c) for c in PAIRS))
    for a, b in [(a, b) for i, a in enumerate(f) for b in list(f)[i + 1:]]:
        for va in f[a]:
            for vb in f[b]:
                pair = matrix._pairs({a: va, b: vb})
                if matrix.allowed({a: va, b: vb}) and not pair <= matrix.TABLE_COVERS: assert pair <= held, (a, va, b, vb)
    assert not any(c['data'] == 'object' and c['entry'] != 'api' for c in PAIRS)
    assert {(c['method'], *c['bias']) for c in PAIRS} == {(m, ir, nr) for m in METHODS for ir in (1, 10) for nr in (0.0, 0.2)}
    assert len(PAIRS) < 80

@pytest.fixture(scope='session')
def data(tmp_path_factory):
    "Every kind of data a case runs on, written once per test process"
    return matrix.make_data(tmp_path_factory.mktemp('matrix_data'))

def check_run(out:dict, method:str):
    "What every finished run of the matrix must show"
    r = out['result']
    assert r['epochs_run'] == r['config']['epochs'] == 2
    assert not out['not_finite'], out['not_finite']
    assert out['pngs']['curves'], 'learning curves'
    if method in LEARNS:
        assert out['pngs']['learned'], 'what was learned'
        assert r['hyper_steps'] > 0 and r['hyper_steps_skipped'] == 0
        assert all(m > 0 for m in out['moved']), f"every table moves: {out['moved']}"
    else: assert out['moved'] is None and not out['pngs']['learned']

@pytest.mark.parametrize('case', CASES, ids=case_id)
def test_case(case, data, tmp_path):
    out = matrix.run_case(case, data, str(tmp_path))
    assert out['code'] == 0 and 'Traceback' not in out['stderr'], out['stderr'][-3000:]
    assert len(out['results']) == 1, out['results']
    check_run(out, case['method'])
    r = out['result']
    assert (r['config']['ir'], r['config']['nr'], r['config']['scale']) == (*case['bias'], case['scale'])
    if r['config']['method'] == 'autodo_aws':
        own = case['data'] in ('folder', 'folder_full', 'object')
        assert r['soft_loss'] == ('symmetric' if own or case['bias'] != (1, 0.0) else 'kl')

def test_the_default_digits_table_then_results_and_density(tmp_path):
    out = matrix.default_table(str(tmp_path))
    for step, (code, stdout, stderr) in out['steps'].items(): assert code == 0 and 'Traceback' not in stderr, (step, stderr[-3000:])
    table = out['steps']['table'][1]
    assert '16 cells: 0 finished, 16 to run' in table and 'FAILED' not in table
    for m in matrix.PAPER_METHODS: assert f'| {m} (1 run)' in table
    assert len(out['runs']) == 16 and len(out['notebooks']) == 16  # every method through autodo-table and the notebook
    for p, run in out['runs'].items(): check_run(run, run['result']['config']['method'])
    assert {'table.png', 'density_Digits_ir_10_nr_0.0_cpu.png', 'learned_Digits_ir_10_nr_0.1_cpu.png'} <= {Path(f).name for f in out['files']}

def test_installed_wheel_runs_every_command_elsewhere(tmp_path):
    out = matrix.installed_wheel(str(tmp_path))
    for step, (code, stdout, stderr) in out['steps'].items(): assert code == 0 and 'Traceback' not in stderr, (step, stderr[-3000:])
    package, notebook = out['steps']['where'][1].split()
    assert package.startswith(out['venv']) and notebook.startswith(str(Path(package).parent)), 'the wheel, and the notebook it ships'
    assert json.loads(out['steps']['train'][1])['test_error_final'] >= 0
    assert '3 cells: 0 finished, 3 to run' in out['steps']['table'][1] and '| la_sce (1 run)' in out['steps']['results'][1]
    assert '| autodo_aws (1 run)' in out['steps']['results'][1] and len(out['notebooks']) == 3 and out['figures'] == [f'{k}_Digits_ir_10_nr_0.2_cpu.png' for k in ('augment', 'density', 'learned')]
