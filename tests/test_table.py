"The table runner: an interrupted table finishes only its remaining cells when started again."
import json, signal, subprocess, sys, time
from pathlib import Path

BIN = Path(sys.executable).parent
ARGS = ['--dataset', 'Digits', '--methods', 'baseline', 'autodo_aw', '--columns', '10,0.1', '--runs', '2', '--epochs', '2',
        '--hyper-start', '0', '--workers', '1']

def test_interrupted_table_finishes_only_the_remaining_cells(tmp_path):
    results = lambda: sorted(tmp_path.glob('Digits/run*/*.json'))
    p = subprocess.Popen([BIN / 'autodo-table', *ARGS, '--data', tmp_path], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 300
    while time.time() < deadline and p.poll() is None and not results(): time.sleep(0.1)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 130 and 'run the same command again' in err, (out, err)
    first = {f: f.stat().st_mtime_ns for f in results()}
    assert 1 <= len(first) < 4, first
    time.sleep(1)
    r = subprocess.run([BIN / 'autodo-table', *ARGS, '--data', tmp_path], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert f'4 cells: {len(first)} finished, {4 - len(first)} to run' in r.stdout
    assert r.stdout.count('done ') == 4 - len(first)
    assert len(results()) == 4 and all(f.stat().st_mtime_ns == t for f, t in first.items())
    assert all(Path(str(f)[:-5] + '.ipynb').exists() for f in results()), 'each cell keeps its executed notebook'
    table = (tmp_path / 'Digits' / 'table_cpu_best.md').read_text()
    assert 'baseline (2 runs)' in table and 'autodo_aw (2 runs)' in table and 'IR=10, NR=0.1' in table
    assert (tmp_path / 'Digits' / 'table_cpu_best.png').stat().st_size > 1000
    r = subprocess.run([BIN / 'autodo-results', '--data', tmp_path, '--dataset', 'Digits', '--protocol', 'final'],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "protocol final" in r.stdout and 'autodo_aw (2 runs)' in r.stdout, r.stderr
    r = subprocess.run([BIN / 'autodo-results', '--data', tmp_path, '--dataset', 'SVHN'], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and 'no finished SVHN runs' in r.stderr
