"Bad input and faults as users meet them: each is one clear error (exit 2, no traceback), never code from a file, a wrong table or a write outside the results root."
import errno, json, multiprocessing as mp, os, subprocess, sys, time
from pathlib import Path
import pytest, torch
from autodo import core
from autodo.core import RunStore, atomic_write, DiskFullError
from autodo.data import DatasetInfo, register_dataset
from autodo.train import Run, make_config, train, ConfigError
from clirun import run_cli

BIN = Path(sys.executable).parent
QUICK = dict(dataset='Digits', ir=10, nr=0.1, epochs=2, hyper_start=0, progress=False)

cli = run_cli

def assert_clean_error(r, *texts):
    assert r.returncode == 2, (r.returncode, r.stderr[-2000:])
    assert 'Traceback' not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    for t in texts: assert t in r.stderr, r.stderr

@pytest.mark.parametrize('args, message', [
    (['--tag', '../../../../tmp/x'], "cannot name files"), (['--tag', 'x' * 300], "cannot name files"),
    (['--tag', 'two\nlines'], "cannot name files"), (['-sr', '1e-9'], 'keep 0 of'), (['--epochs', '0'], 'epochs=0 (--epochs)'),
    (['-r', 'run²'], 'a number like 0'), (['--method', 'raa', '--policy-tables-of', 'FOO'], 'only applies to faa and dada'),
    (['--dataset', 'MNST'], 'DIR/train/<class>'), (['--method', 'baseline', '--cl-epochs', '5'], 'applies to methods that clean'),
    (['--method', 'cl_baseline', '--cl-folds', '1'], 'cl_folds=1 (--cl-folds) must be'), (['--gpu', '-1'], 'gpu=-1 (--gpu) must be'), (['--method', 'cl_baseline', '--cl-folds', '99999'], 'is more than the 1347')])
def test_bad_arguments_are_one_line_errors_and_write_nothing(tmp_path, args, message):
    root = tmp_path / 'root'
    assert_clean_error(cli('autodo-train', *args, '--data', root, '--no-progress'), message)
    assert not [p for p in tmp_path.rglob('*') if p.is_file()], 'refused before anything is written, inside the root or out of it'

def test_data_at_a_file_is_refused_naming_what_set_it(tmp_path, monkeypatch):
    (tmp_path / 'f').write_text('not a folder')
    assert_clean_error(cli('autodo-train', '--data', tmp_path / 'f', '--epochs', 1), "f' (--data) is a file")
    monkeypatch.setenv('AUTODO_ROOT', str(tmp_path / 'f'))
    assert_clean_error(cli('autodo-train', '--epochs', 1), "f' ($AUTODO_ROOT) is a file")

def test_table_arguments_are_checked(tmp_path):
    assert_clean_error(cli('autodo-table', '--methods', 'baseline', '--workers', -1, '--data', tmp_path, '--epochs', 1), 'workers=-1 (--workers)')
    assert_clean_error(cli('autodo-table', '--methods', 'baseline', '--runs', 0, '--data', tmp_path, '--epochs', 1), 'runs=0 (--runs)')
    assert_clean_error(cli('autodo-table', '--methods', 'baseline', 'autodo_aws', '--cl-epochs', 2, '--data', tmp_path), 'no row of this table cleans')

def test_a_crafted_checkpoint_runs_no_code(tmp_path):
    marker = tmp_path / 'pwned'
    class Payload:
        def __reduce__(self): return (os.system, (f'touch {marker}',))
    ckpt = RunStore(tmp_path).path(make_config(root=str(tmp_path), **{**QUICK, 'method': 'baseline'}), 'ckpt')
    ckpt.parent.mkdir(parents=True)
    torch.save({'config': {}, 'epoch': 0, 'model': Payload()}, ckpt)
    assert_clean_error(cli('autodo-train', '-ir', 10, '-nr', 0.1, '--epochs', 2, '--data', tmp_path, '--no-progress'),
                       'not an autodo checkpoint')
    assert not marker.exists(), 'unpickling the checkpoint ran its command'

def test_checkpoints_with_missing_keys_or_wrong_shapes_are_refused(tmp_path):
    args = ('--method', 'autodo_aw', '-ir', 10, '-nr', 0.1, '--epochs', 2, '--hyper-start', 0, '--data', tmp_path, '--no-progress')
    assert cli('autodo-train', *args).returncode == 0
    ckpt = next(tmp_path.rglob('*.ckpt'))
    state = torch.load(ckpt, weights_only=True)
    torch.save({k: v for k, v in state.items() if k != 'ado'}, ckpt)
    assert_clean_error(cli('autodo-train', *args), 'not an autodo checkpoint')
    state['ado']['tables']['augment'] = torch.zeros(3, 3)
    torch.save(state, ckpt)
    assert_clean_error(cli('autodo-train', *args), 'does not fit')

def test_corrupt_dataset_files_are_named(tmp_path):
    raw = tmp_path / 'MNIST' / 'raw'; raw.mkdir(parents=True)
    for f in ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']:
        (raw / f).write_bytes(os.urandom(64))
    assert_clean_error(cli('autodo-train', '--dataset', 'MNIST', '--data', tmp_path, '--epochs', 1), 'replace them with fresh copies')
    assert not (tmp_path / 'MNIST' / 'run0').exists(), 'nothing is left behind'

def test_corrupt_split_files_are_refused(tmp_path):
    from autodo.bias import make_biased_split
    from autodo.data import load_dataset
    s = make_biased_split(load_dataset('Digits').targets, 10, ir=10, nr=0.1, valid_size=250, seed=0)
    s.valid_idx[:5] = s.train_idx[:5]
    s.save(RunStore(tmp_path).split_path(dict(dataset='Digits', run=0, ir=10, sr=1.0, nr=0.1)))
    assert_clean_error(cli('autodo-train', '-ir', 10, '-nr', 0.1, '--data', tmp_path, '--epochs', 1), 'overlap')

def test_truncated_results_are_named_and_mixed_settings_never_averaged(tmp_path):
    for run, epochs in [(0, 2), (1, 3)]: train(method='baseline', run=run, root=str(tmp_path), **{**QUICK, 'epochs': epochs})
    assert_clean_error(cli('autodo-results', '--data', tmp_path), 'different settings (epochs)')
    bad = RunStore(tmp_path).path(make_config(root=str(tmp_path), run=1, **{**QUICK, 'method': 'baseline', 'epochs': 3}), 'results')
    bad.write_text(bad.read_text()[:50])
    assert_clean_error(cli('autodo-results', '--data', tmp_path), str(bad), 'delete it')
    cfg = make_config(root=str(tmp_path), run=0, **{**QUICK, 'method': 'baseline', 'epochs': 5})
    assert RunStore(tmp_path).finished(cfg) is None, 'a finished 2-epoch run is not the 5-epoch run a table asks for'

def _writer(path, n, tag):
    for i in range(n): atomic_write(path, lambda p: p.write_text(json.dumps(dict(writer=tag, i=i, pad='x' * 4000))))

def test_concurrent_writers_never_fail_nor_tear(tmp_path):
    path = tmp_path / 'shared.json'
    ps = [mp.get_context('spawn').Process(target=_writer, args=(path, 150, k)) for k in range(4)]
    for p in ps: p.start()
    reads = 0
    while any(p.is_alive() for p in ps):
        if path.exists(): json.loads(path.read_text()); reads += 1  # never a torn file
    assert all(p.exitcode == 0 for p in ps) and reads > 0
    assert [f.name for f in tmp_path.iterdir()] == ['shared.json'], 'no temporary file is left'

def test_a_full_disk_is_said_in_words_and_leaves_nothing(tmp_path, monkeypatch):
    def torch_like(p):
        p.write_bytes(b'x' * 1000)
        raise RuntimeError('[enforce fail at inline_container.cc:778] . PytorchStreamWriter failed writing file data/0')
    monkeypatch.setattr(core.shutil, 'disk_usage', lambda p: type('U', (), dict(free=0))())
    with pytest.raises(DiskFullError, match='no space left on the disk holding'): atomic_write(tmp_path / 'big.ckpt', torch_like)
    assert list(tmp_path.iterdir()) == []

def test_a_second_writer_of_a_run_stops_and_names_the_first(tmp_path):
    args = ('-ir', 10, '-nr', 0.1, '--epochs', 30, '--data', tmp_path, '--no-progress')
    first = subprocess.Popen([BIN / 'autodo-train', *map(str, args)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        cfg = make_config(root=str(tmp_path), **{**QUICK, 'method': 'baseline', 'epochs': 30, 'hyper_start': None})
        deadline = time.time() + 120
        while RunStore(tmp_path).holder(cfg) is None and time.time() < deadline: time.sleep(0.1)
        assert_clean_error(cli('autodo-train', *args), f'is being trained by pid {first.pid}')
    finally:
        first.kill(); first.wait()
    assert RunStore(tmp_path).holder(cfg) is None, 'the kernel frees the lock of a killed process'

def test_test_images_of_another_size_are_refused(tmp_path):
    data = {'train': (torch.zeros(40, 1, 28, 28, dtype=torch.uint8), torch.arange(40) % 4),
            'test': (torch.zeros(8, 1, 32, 32, dtype=torch.uint8), torch.arange(8) % 4)}
    register_dataset(DatasetInfo('odd-sizes', 4, 1, 28, (0.5,), (0.25,), {'train': 40, 'test': 8}, 8,
                                 files={'train': [], 'test': []}, load=lambda root, split, download: data[split]))
    run = Run(make_config('odd-sizes', 'baseline', root=str(tmp_path), epochs=1, progress=False))
    with pytest.raises(ConfigError, match='images of other shapes'): run.setup_data()
    assert not list(tmp_path.rglob('*.pt')), 'refused before its split is written'

def test_a_killed_table_runner_takes_its_cells_with_it(tmp_path):
    table = subprocess.Popen([BIN / 'autodo-table', '--methods', 'baseline', '--columns', '10,0.1', '--runs', '1', '--epochs', '60',
                              '--data', tmp_path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cfg = make_config(root=str(tmp_path), **{**QUICK, 'method': 'baseline', 'epochs': 60, 'hyper_start': None})
    store, deadline = RunStore(tmp_path), time.time() + 180
    while store.holder(cfg) is None and time.time() < deadline: time.sleep(0.2)
    assert store.holder(cfg), 'the cell started training'
    table.kill(); table.wait()
    deadline = time.time() + 30
    while store.holder(cfg) is not None and time.time() < deadline: time.sleep(0.2)
    assert store.holder(cfg) is None, 'the cell (papermill and its kernel) died with the table runner'

def test_a_terminated_run_says_so_and_resumes(tmp_path):
    args = ['--dataset', 'Digits', '--method', 'baseline', '-ir', '10', '-nr', '0.1', '--epochs', '60', '--data', tmp_path, '--no-progress']
    run = subprocess.Popen([BIN / 'autodo-train', *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    cfg = make_config(root=str(tmp_path), **{**QUICK, 'method': 'baseline', 'epochs': 60, 'hyper_start': None})
    store, deadline = RunStore(tmp_path), time.time() + 180
    while not store.path(cfg, 'ckpt').exists() and time.time() < deadline: time.sleep(0.1)
    run.terminate()  # SIGTERM, as `kill` and schedulers send
    out, err = run.communicate(timeout=60)
    assert run.returncode == 143 and 'Traceback' not in err, err
    assert err.strip().splitlines()[-1] == 'autodo-train: error: terminated (SIGTERM); run the same command again to resume from the last checkpoint'
    assert store.holder(cfg) is None and store.path(cfg, 'ckpt').exists(), 'the lock freed, the checkpoint kept'

def test_a_diverged_run_is_one_line_and_never_a_result(tmp_path):
    args = ('--dataset', 'Digits', '--method', 'autodo_aws', '-ir', 10, '-nr', 0.1, '--epochs', 3, '--hyper-start', 0, '--data', tmp_path,
            '--no-progress')
    for _ in range(2):  # the same command again says the same, from the same last good checkpoint
        assert_clean_error(cli('autodo-train', *args, '--hyper-lr', '1e30'), 'epoch 1: the largest learned hyperparameter became',
                           'hyper_lr=1e+30 (--hyper-lr) is too large', 'The checkpoint of epoch 0 is kept')
    r = cli('autodo-train', *args, '--lr', '1e30')  # (after the warning that 3 epochs are too short for the hyperparameters to move)
    assert r.returncode == 2 and 'Traceback' not in r.stderr, r.stderr
    assert 'epoch 0: the train loss became nan' in r.stderr.splitlines()[-1] and 'lr=1e+30 (--lr)' in r.stderr, r.stderr
    assert not list(tmp_path.rglob('*.json')) and not list(tmp_path.rglob('*.ckpt')), 'no results; the other setting started afresh'
    r = cli('autodo-results', '--data', tmp_path, '--dataset', 'Digits')
    assert r.returncode == 2 and 'no finished Digits runs' in r.stderr, r.stderr

def test_a_diverged_cell_fails_its_table(tmp_path):
    "A table reports a diverged cell as failed, with its one line, and tabulates nothing; 1e30 reaches the cell as a number"
    r = cli('autodo-table', '--dataset', 'Digits', '--columns', '10,0.1', '--methods', 'autodo_aws', '--runs', 1, '--epochs', 3,
            '--hyper-start', 0, '--hyper-lr', '1e30', '--workers', 1, '--data', tmp_path)
    assert r.returncode == 2 and 'Traceback' not in r.stderr, r.stderr
    assert '1 cells failed' in r.stderr and 'DivergedError: epoch 1' in r.stderr and 'hyper_lr=1e+30 (--hyper-lr)' in r.stderr, r.stderr
    assert not list(tmp_path.rglob('*.json')), 'no results'

def test_a_run_made_with_other_settings_names_the_flags_that_reach_it(tmp_path):
    train('Digits', 'baseline', epochs=2, root=str(tmp_path), progress=False)
    r = cli('autodo-train', '--method', 'baseline', '--data', tmp_path, '--no-progress')
    assert_clean_error(r, 'epochs: 2 there, 200 asked', 'to resume or read that run, give --epochs 2', 'its own --tag')
