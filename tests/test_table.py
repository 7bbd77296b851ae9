"""The table runner: an interrupted table finishes only its remaining cells when started again, on this machine and on a real
one-node Slurm cluster (a cancelled job and a requeued one), and both launchers make the same table (one cell at a time with
the same two threads, so the results are equal to the last digit)."""
import json, os, signal, subprocess, sys, time
from pathlib import Path
import pytest
from slurm_cluster import missing, one_node_cluster
pytestmark = pytest.mark.xdist_group('test_table')  # one worker runs the module, so its fixtures are made once

BIN = Path(sys.executable).parent
ARGS = ['--dataset', 'Digits', '--methods', 'baseline', 'autodo_aw', '--columns', '10,0.1', '--runs', '1', '--epochs', '4',
        '--hyper-start', '0']
RESULTS = 'Digits/run*/*_nr_0.1.json'

TWO_THREADS = {**os.environ, 'OMP_NUM_THREADS': '2', 'MKL_NUM_THREADS': '2'}  # the local cells' threads: Slurm's --cpus-per-cell 2

def table(*args, **kw):
    return subprocess.run([BIN / 'autodo-table', *map(str, args)], capture_output=True, text=True, env=TWO_THREADS, **kw)

@pytest.fixture(scope='module')
def local_table(tmp_path_factory):
    "The table made by the local launcher, interrupted after its first finished cell and started again"
    root = tmp_path_factory.mktemp('local')
    results = lambda: sorted(root.glob(RESULTS))
    p = subprocess.Popen([BIN / 'autodo-table', *ARGS, '--workers', '1', '--data', root], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=TWO_THREADS)
    deadline = time.time() + 300
    while time.time() < deadline and p.poll() is None and not results(): time.sleep(0.1)
    p.send_signal(signal.SIGINT)
    interrupted = p.communicate(timeout=120) + (p.returncode,)
    first = {f: f.stat().st_mtime_ns for f in results()}
    time.sleep(1)
    again = table(*ARGS, '--workers', '1', '--data', root, timeout=600)
    return root, interrupted, first, again

def test_interrupted_table_finishes_only_the_remaining_cells(local_table):
    root, (out, err, code), first, r = local_table
    assert code == 130 and 'run the same command again' in err, (out, err)
    assert len(first) == 1, first
    assert r.returncode == 0, r.stderr
    assert '2 cells: 1 finished, 1 to run' in r.stdout and r.stdout.count('done ') == 1
    assert len(list(root.glob(RESULTS))) == 2 and all(f.stat().st_mtime_ns == t for f, t in first.items())
    assert all(Path(str(f)[:-5] + '.ipynb').exists() for f in root.glob(RESULTS)), 'each cell keeps its executed notebook'
    md = (root / 'Digits' / 'table_cpu_best.md').read_text()
    assert 'baseline (1 run)' in md and 'autodo_aw (1 run)' in md and 'IR=10, NR=0.1' in md
    assert (root / 'Digits' / 'table_cpu_best.png').stat().st_size > 1000
    r = subprocess.run([BIN / 'autodo-results', '--data', root, '--dataset', 'Digits', '--protocol', 'final'],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "protocol final" in r.stdout and 'autodo_aw (1 run)' in r.stdout, r.stderr
    r = subprocess.run([BIN / 'autodo-results', '--data', root, '--dataset', 'SVHN'], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and 'no finished SVHN runs' in r.stderr

@pytest.fixture(scope='module')
def slurm(tmp_path_factory):
    "A one-node Slurm cluster with 2 CPUs; in CI (AUTODO_REQUIRE_SLURM=1) a missing Slurm fails the test instead of skipping it"
    if missing():
        if os.environ.get('AUTODO_REQUIRE_SLURM'): pytest.fail(f"Slurm is not installed ({', '.join(missing())} missing); .ci/run installs it")
        pytest.skip(f"Slurm is not installed ({', '.join(missing())} missing); apt-get install slurm-wlm munge")
    with one_node_cluster(Path(tmp_path_factory.mktemp('slurm'))) as env: yield env

def _job_of(env, metrics:Path):
    "Slurm's job id of the running cell whose metrics file is `metrics`"
    q = subprocess.run(['squeue', '--noheader', '--format=%i|%j'], env=env, capture_output=True, text=True).stdout
    jobs = [l.split('|') for l in q.splitlines()]
    return next((job for job, name in jobs if name.endswith(f"-{metrics.parent.name}-{metrics.name[:-len('.jsonl')]}")), None)

def _wait_mid_run(root, env, skip=(), timeout=300):
    "A cell that has finished two of its four epochs, its metrics lines then, and its job id"
    deadline = time.time() + timeout
    while time.time() < deadline:
        for m in root.glob('Digits/run*/*_nr_0.1.jsonl'):
            lines = m.read_text().splitlines() if m not in skip else []
            if len(lines) != 2: continue
            job = _job_of(env, m)
            if job: return m, lines, job
        time.sleep(0.05)
    raise TimeoutError('no cell was seen mid-run')

def _requeue(env, job:str):
    "Requeue a running job, as a preemption does, and let it start again at once instead of after Slurm's two-minute delay"
    subprocess.run(['scontrol', 'requeue', job], env=env, check=True)
    for _ in range(300):
        q = subprocess.run(['squeue', '--noheader', '--job', job, '--format=%T|%r'], env=env, capture_output=True, text=True).stdout
        if q.strip() == 'PENDING|BeginTime': subprocess.run(['scontrol', 'update', f'JobId={job}', 'StartTime=now'], env=env)
        elif q.startswith('RUNNING') or q.startswith('PENDING'): return
        time.sleep(0.1)
    raise TimeoutError(f'requeued job {job} did not start again')

def _cancel_unfinished(env, job:str, metrics:Path) -> list:
    "Cancel `job` at a point where its cell cannot be complete: suspended (stopped) first, its files checked, then cancelled; its metrics lines then"
    subprocess.run(['scontrol', 'suspend', job], env=env, check=True)
    lines = metrics.read_text().splitlines()
    assert len(lines) < 4 and not metrics.with_suffix('.json').exists(), f'the cell finished before job {job} was suspended'
    subprocess.run(['scancel', job], env=env, check=True)  # Slurm resumes it only to deliver SIGTERM: no epoch can end meanwhile
    return lines

def _resumed(metrics:Path, before:list) -> bool:
    "All four epochs, the ones checkpointed before the kill kept as they were (their timings too): resumed, not restarted"
    lines = metrics.read_text().splitlines()
    return [json.loads(l)['epoch'] for l in lines] == [0, 1, 2, 3] and lines[:len(before) - 1] == before[:-1]

def test_slurm_table_survives_a_requeue_and_a_cancel_and_equals_the_local_table(slurm, local_table, tmp_path):
    env = slurm
    args = [*ARGS, '--launcher', 'slurm', '--cpus-per-cell', '2', '--time-min', '30', '--poll-s', '0.5', '--data', tmp_path]
    start = lambda: subprocess.Popen([BIN / 'autodo-table', *map(str, args)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    runner = start()
    requeued, requeued_lines, job = _wait_mid_run(tmp_path, env)
    _requeue(env, job)
    watcher = start()  # a second runner meanwhile: Slurm holds every unfinished cell, so it submits nothing and watches
    cancelled, _, job = _wait_mid_run(tmp_path, env, skip={requeued})
    cancelled_lines = _cancel_unfinished(env, job, cancelled)
    (out, err), (wout, werr) = runner.communicate(timeout=600), watcher.communicate(timeout=600)
    assert runner.returncode == 2 and '1 cells failed' in err, (out, err)
    assert 'slurm: 0 already queued or running, 2 to submit' in out and out.count('submitted Digits/') == 2
    assert f'FAILED Digits/{cancelled.parent.name}/{cancelled.name[:-6]}' in out and '_log.err' in out
    assert ', 0 to submit' in wout and 'submitted' not in wout and f'FAILED Digits/{cancelled.parent.name}' in wout, wout
    assert _resumed(requeued, requeued_lines), 'the requeued cell finished from its checkpoint'
    r = subprocess.run([BIN / 'autodo-table', *map(str, args)], env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert '2 cells: 1 finished, 1 to run' in r.stdout and r.stdout.count('submitted Digits/') == 1
    assert _resumed(cancelled, cancelled_lines), 'the cancelled cell finished from its checkpoint'
    local_root = local_table[0]
    assert (tmp_path / 'Digits' / 'table_cpu_best.md').read_text() == (local_root / 'Digits' / 'table_cpu_best.md').read_text()
    for f in local_root.glob(RESULTS):
        a, b = json.loads(f.read_text()), json.loads((tmp_path / f.relative_to(local_root)).read_text())
        assert [a[k] for k in ('test_error_best', 'test_error_final', 'per_class_test_acc')] == \
               [b[k] for k in ('test_error_best', 'test_error_final', 'per_class_test_acc')], f
