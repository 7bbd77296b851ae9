"""Faults of a shared results disk and of files that load but lie: links planted in a results root, permissions, your own data
known by what it holds (not by its folder's name), split, checkpoint, results and metrics files with wrong values, and table
arguments checked before any cell starts. Each is one line naming the file and what to do, or works; none is a traceback or a
silent wrong."""
import json, os, re, shutil, signal, stat
from pathlib import Path
import pytest, torch
from autodo.core import RunStore, atomic_write
from autodo.train import make_config
from clirun import run_cli
from test_faults import assert_clean_error
from test_own_data import digit_folder
pytestmark = pytest.mark.xdist_group('test_faults_files')  # one worker runs the module, so its fixtures are made once

QUICK = ('-ir', 10, '-nr', 0.1, '--epochs', 2, '--no-progress')

def quick_cfg(root, **kw): return make_config('Digits', 'baseline', root=str(root), ir=10, nr=0.1, epochs=2, progress=False, **kw)

@pytest.fixture(scope='module')
def finished(tmp_path_factory):
    "A finished 2-epoch baseline run on Digits, made once: its root"
    root = tmp_path_factory.mktemp('finished')
    assert run_cli('autodo-train', *QUICK, '--data', root).returncode == 0
    return root

def fresh(finished, tmp_path) -> Path:
    "A copy of the finished run's root to damage"
    shutil.copytree(finished, tmp_path / 'root')
    return tmp_path / 'root'

# --- a shared results disk --------------------------------------------------------------------------------------------

def test_a_planted_lock_link_is_refused_and_its_target_untouched(tmp_path):
    victim = tmp_path / 'their_thesis.tex'; victim.write_text('precious')
    lock = RunStore(tmp_path / 'root').path(quick_cfg(tmp_path / 'root'), 'lock')
    lock.parent.mkdir(parents=True); lock.symlink_to(victim)
    assert_clean_error(run_cli('autodo-train', *QUICK, '--data', tmp_path / 'root'), 'is a symbolic link', str(lock))
    assert victim.read_text() == 'precious'

def test_a_hard_linked_lock_is_refused_and_its_target_untouched(tmp_path):
    victim = tmp_path / 'their_notes.txt'; victim.write_text('precious')
    lock = RunStore(tmp_path / 'root').path(quick_cfg(tmp_path / 'root'), 'lock')
    lock.parent.mkdir(parents=True); os.link(victim, lock)
    assert_clean_error(run_cli('autodo-train', *QUICK, '--data', tmp_path / 'root'), 'is a hard link to another file')
    assert victim.read_text() == 'precious'

@pytest.mark.parametrize('linked', ['Digits', 'Digits/run0'])
def test_a_link_above_a_runs_files_is_refused(tmp_path, linked):
    (tmp_path / 'theirs').mkdir(); link = tmp_path / 'root' / linked
    link.parent.mkdir(parents=True, exist_ok=True); link.symlink_to(tmp_path / 'theirs')
    assert_clean_error(run_cli('autodo-train', *QUICK, '--data', tmp_path / 'root'), f'{link} is a symbolic link')
    assert not list((tmp_path / 'theirs').iterdir()), 'nothing was written through the link'

@pytest.fixture
def no_hang():
    "Fail a test that blocks (a FIFO read) instead of hanging the suite"
    def hung(*_): raise TimeoutError('blocked for 60 s')
    old = signal.signal(signal.SIGALRM, hung); signal.alarm(60)
    yield
    signal.alarm(0); signal.signal(signal.SIGALRM, old)

@pytest.mark.parametrize('which', ['*.ckpt', 'data_*.pt', '*_nr_0.1.json'])
def test_fifos_in_place_of_a_runs_files_are_refused_without_hanging(finished, tmp_path, no_hang, which):
    root = fresh(finished, tmp_path)
    if which != '*_nr_0.1.json': next(root.rglob('*_nr_0.1.json')).unlink()
    p = next(root.rglob(which)); p.unlink(); os.mkfifo(p)
    cmd = ('autodo-results', '--data', root) if which.endswith('.json') else ('autodo-train', *QUICK, '--data', root)
    assert_clean_error(run_cli(*cmd), 'is not a plain file')

def test_a_folder_where_a_file_belongs_is_named(finished, tmp_path):
    root = fresh(finished, tmp_path)
    p = _results(root); p.unlink(); p.mkdir()
    assert_clean_error(run_cli('autodo-train', *QUICK, '--data', root), f'{p} is a folder where autodo writes a file')

def test_a_planted_fifo_lock_is_refused_without_hanging(tmp_path):
    lock = RunStore(tmp_path / 'root').path(quick_cfg(tmp_path / 'root'), 'lock')
    lock.parent.mkdir(parents=True); os.mkfifo(lock)
    assert_clean_error(run_cli('autodo-train', *QUICK, '--data', tmp_path / 'root'), 'is not a plain file')

@pytest.mark.parametrize('mask', [0o022, 0o002, 0o077])
def test_every_output_keeps_the_umask_permissions(tmp_path, mask):
    old = os.umask(mask)
    try: assert run_cli('autodo-train', *QUICK, '--data', tmp_path).returncode == 0
    finally: os.umask(old)
    files = [p for p in tmp_path.rglob('*') if p.is_file() and 'tb' not in p.parts]
    assert {p.suffix for p in files} >= {'.pt', '.ckpt', '.json', '.jsonl', '.png', '.lock'}, files
    assert {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in files} == {p.name: oct(0o666 & ~mask) for p in files}

def test_outputs_replace_planted_links_instead_of_writing_through_them(tmp_path):
    from autodo.results import render_table
    import pandas as pd
    victim = tmp_path / 'theirs'; victim.write_text('keep')
    cfg = quick_cfg(tmp_path / 'root')
    results = RunStore(tmp_path / 'root').path(cfg, 'results')
    results.parent.mkdir(parents=True); results.symlink_to(victim)
    stem = tmp_path / 'root' / 'Digits' / 'table_cpu_best'
    Path(f'{stem}.md').symlink_to(victim)
    assert run_cli('autodo-train', *QUICK, '--data', tmp_path / 'root').returncode == 0
    render_table(pd.DataFrame({'a': ['1']}, index=['m']), 't', stem)
    assert victim.read_text() == 'keep' and not results.is_symlink() and not Path(f'{stem}.md').is_symlink()
    assert json.loads(results.read_text())['epochs_run'] == 2

def test_a_planted_link_at_a_runs_tensorboard_folder_is_refused(tmp_path):
    tb = RunStore(tmp_path / 'root').path(quick_cfg(tmp_path / 'root'), 'tb')
    tb.parent.mkdir(parents=True); (tmp_path / 'theirs').mkdir(); tb.symlink_to(tmp_path / 'theirs')
    assert_clean_error(run_cli('autodo-train', *QUICK, '--data', tmp_path / 'root'), 'is a symbolic link')
    assert not list((tmp_path / 'theirs').iterdir())

def test_a_planted_link_at_a_cells_notebook_is_refused(tmp_path):
    from autodo.table import papermill_command, table_cells
    cell = table_cells('Digits', ['baseline'], [(10, 0.1)], 1, str(tmp_path), epochs=2)[0]
    nb = RunStore(tmp_path).path(cell['cfg'], 'notebook'); nb.parent.mkdir(parents=True); nb.symlink_to(tmp_path / 'elsewhere')
    with pytest.raises(Exception, match='is a symbolic link'): papermill_command(Path('x.ipynb'), cell)

# --- your own data is known by what it holds -------------------------------------------------------------------------

def _pets(d:Path, flip:int=-1) -> Path:
    "A small image folder named pets, its image `flip` (if any) moved to the next class folder"
    digit_folder(d, n=240)
    if flip >= 0:
        f = sorted(d.glob('train/*/*.png'))[flip]
        to = d / 'train' / f'digit_{(int(f.parent.name[-1]) + 1) % 10}' / f.name
        f.rename(to)
    return d

OWN = ('--method', 'baseline', '--epochs', 2, '--no-progress')

def test_two_folders_of_one_name_never_share_a_run(tmp_path):
    a, b = _pets(tmp_path / 'x' / 'pets'), _pets(tmp_path / 'y' / 'pets')
    for img in sorted(b.glob('train/digit_3/*.png'))[:5]:  # the same labels, other pixels
        from PIL import Image, ImageOps
        ImageOps.invert(Image.open(img).convert('L')).save(img)
    root = tmp_path / 'root'
    assert run_cli('autodo-train', '--dataset', a, *OWN, '--data', root).returncode == 0
    assert_clean_error(run_cli('autodo-train', '--dataset', b, *OWN, '--data', root), 'made from other data of the same name')
    assert run_cli('autodo-train', '--dataset', a, *OWN, '--data', root).returncode == 0, 'the first folder is still its own run'

def test_an_image_moved_to_another_class_is_not_trained_on_the_old_split(tmp_path):
    d, root = _pets(tmp_path / 'pets'), tmp_path / 'root'
    assert run_cli('autodo-train', '--dataset', d, *OWN, '--data', root).returncode == 0
    _pets(tmp_path / 'moved' / 'pets', flip=3)
    shutil.rmtree(d); shutil.move(tmp_path / 'moved' / 'pets', d)
    assert_clean_error(run_cli('autodo-train', '--dataset', d, *OWN, '--data', root), 'was made from other data (', 'labels differ')

def test_the_same_folder_again_is_the_same_run(tmp_path):
    d, root = _pets(tmp_path / 'pets'), tmp_path / 'root'
    first = run_cli('autodo-train', '--dataset', d, *OWN, '--data', root)
    again = run_cli('autodo-train', '--dataset', d, *OWN, '--data', root)
    assert first.returncode == again.returncode == 0
    assert json.loads(first.stdout)['test_error_best'] == json.loads(again.stdout)['test_error_best']

# --- files that load but lie -----------------------------------------------------------------------------------------

def _split(root): return next(Path(root).rglob('data_*.pt'))

def _damage_split(change):
    def damage(root):
        p = _split(root); d = torch.load(p, weights_only=True); change(d); torch.save(d, p)
    return damage

def _damage_ckpt(change):
    def damage(root):
        p = next(Path(root).rglob('*.ckpt')); d = torch.load(p, weights_only=True); change(d); torch.save(d, p)
    return damage

def _nan_weight(d): next(v for v in d['model'].values() if v.is_floating_point()).fill_(float('nan'))

LIES = {
    'split labels negative': (_damage_split(lambda d: d['targets'].sub_(1)), 'targets hold labels outside [0, 10)'),
    'split labels out of range': (_damage_split(lambda d: d['clean_targets'].add_(10)), 'clean_targets hold labels outside'),
    'split float indices': (_damage_split(lambda d: d.update(train_idx=d['train_idx'].float())), 'train_idx is not a vector of integers'),
    'split duplicate indices': (_damage_split(lambda d: d.update(train_idx=d['train_idx'].repeat(2))), 'train_idx holds a point twice'),
    'split empty train set': (_damage_split(lambda d: d.update(train_idx=d['train_idx'][:0], noise_idx=d['noise_idx'][:0])), '0 train'),
    'split random bytes': (lambda root: _split(root).write_bytes(os.urandom(3000)), 'not a file that torch.save wrote'),
    'checkpoint epoch -1': (_damage_ckpt(lambda d: d.update(epoch=-1)), 'epoch=-1 is not an epoch in [0, 2)'),
    'checkpoint epoch a string': (_damage_ckpt(lambda d: d.update(epoch='1')), "epoch='1' is not an epoch"),
    'checkpoint epoch a float': (_damage_ckpt(lambda d: d.update(epoch=1.0)), 'epoch=1.0 is not an epoch'),
    'checkpoint empty history': (_damage_ckpt(lambda d: d.update(history=[])), 'history does not hold the metrics of epochs 0 to 1'),
    'checkpoint NaN weights': (_damage_ckpt(_nan_weight), 'are not finite'),
    'checkpoint config not a dict': (_damage_ckpt(lambda d: d.update(config=[1, 2])), 'with the config a dictionary'),
    'checkpoint random bytes': (lambda root: next(Path(root).rglob('*.ckpt')).write_bytes(os.urandom(3000)), 'not a file that torch.save wrote'),
    'checkpoint bytes of pickle protocol 99': (lambda root: next(Path(root).rglob('*.ckpt')).write_bytes(b'\x80\x63' + os.urandom(3000)),
                                               'not a file that torch.save wrote'),
    'checkpoint empty file': (lambda root: next(Path(root).rglob('*.ckpt')).write_bytes(b''), 'not a file that torch.save wrote'),
    'checkpoint momentum NaN': (_damage_ckpt(lambda d: [b['momentum_buffer'].fill_(float('nan')) for b in d['opt']['state'].values()]), "momentum of a"),
    'checkpoint momentum of another shape': (_damage_ckpt(lambda d: d['opt']['state'][0].update(momentum_buffer=torch.zeros(5, 5))), 'of shape (5, 5)'),
    'checkpoint accuracy a string': (_damage_ckpt(lambda d: d['history'][1].update(test_acc='high')), "epoch 1's test_acc='high' is not an accuracy"),
    'checkpoint accuracy 5': (_damage_ckpt(lambda d: d['history'][1].update(test_acc=5.0)), "test_acc=5.0 is not an accuracy in [0, 1]"),
    'checkpoint no per-class accuracy': (_damage_ckpt(lambda d: d['history'][1].pop('test_per_class')), 'has a test accuracy but none per class'),
    'checkpoint per-class accuracy short': (_damage_ckpt(lambda d: d['history'][1].update(test_per_class=[0.5])), 'test_per_class is not 10 accuracies'),
    'checkpoint integer weights': (_damage_ckpt(lambda d: d.update(model={k: v.long() if v.is_floating_point() else v for k, v in d['model'].items()})), 'torch.int64, not torch.float32'),
    'checkpoint weights of another shape': (_damage_ckpt(lambda d: d['model'].update({'classifier.weight': d['model']['classifier.weight'][:, :3]})), 'size mismatch for classifier.weight'),
    'split uint8 indices': (_damage_split(lambda d: d.update(train_idx=d['train_idx'][d['train_idx'] < 256].to(torch.uint8))), 'not a vector of integers'),
    'split sizes other than its parameters': (_damage_split(lambda d: d.update(valid_idx=d['valid_idx'][:1])), '1 validation points where its parameters say 250'),
}

@pytest.mark.parametrize('case', LIES)
def test_split_and_checkpoint_files_that_lie_are_named(finished, tmp_path, case):
    damage, why = LIES[case]
    root = fresh(finished, tmp_path)
    next(root.rglob('*.json')).unlink()  # so the run reads its split and checkpoint back
    damage(root)
    r = run_cli('autodo-train', *QUICK, '--data', root)
    assert_clean_error(r, why, 'delete it')
    assert str(root) in r.stderr, 'the message names the file'

def _results(root): return next(Path(root).rglob('*_nr_0.1.json'))

RESULT_LIES = {
    'a string where a number belongs': (lambda r: r['config'].update(epochs='2'), "epochs='2' (--epochs) must be an int"),
    'more epochs than run': (lambda r: r.update(epochs_run=9), 'epochs_run=9 is not a count of epochs in [1, 2]'),
    'a negative test error': (lambda r: r.update(test_error_best=-1.0), 'test_error_best=-1.0'),
    'accuracies above one': (lambda r: r.update(per_class_test_acc=[1.5] * 10), 'per_class_test_acc'),
    'an unknown method': (lambda r: r['config'].update(method='magic'), "method='magic'"),
    'a ratio out of range': (lambda r: r['config'].update(momentum=7), 'momentum=7 (--momentum) must be a finite number >= 0 and < 1'),
    'another method in its config': (lambda r: r['config'].update(method='autodo_aws'), 'holds the results of Digits/run0/autodo_aws_ir_10_sr_1.0_nr_0.1.json'),
}

@pytest.mark.parametrize('case', RESULT_LIES)
def test_results_files_that_lie_are_named(finished, tmp_path, case):
    change, why = RESULT_LIES[case]
    root = fresh(finished, tmp_path)
    p = _results(root); r = json.loads(p.read_text()); change(r); p.write_text(json.dumps(r))
    assert_clean_error(run_cli('autodo-results', '--data', root), why, str(p), 'delete it')

def test_results_copied_to_another_run_are_named(finished, tmp_path):
    root = fresh(finished, tmp_path)
    p = _results(root); (root / 'Digits' / 'run1').mkdir(); shutil.copy(p, root / 'Digits' / 'run1' / p.name)
    assert_clean_error(run_cli('autodo-results', '--data', root), 'run1', 'holds the results of Digits/run0/', 'not of its own place')

def test_a_deeply_nested_results_file_is_named(finished, tmp_path):
    root = fresh(finished, tmp_path)
    _results(root).write_text('[' * 200000)
    assert_clean_error(run_cli('autodo-results', '--data', root), 'nested too deeply', 'delete it')

def test_a_metrics_file_that_lies_is_named(finished, tmp_path):
    from autodo.results import load_history
    root = fresh(finished, tmp_path)
    p = next(root.rglob('*.jsonl'))
    assert list(load_history(p).epoch) == [0, 1]
    p.write_text(p.read_text().replace('"epoch": 1', '"epoch": 7'))
    with pytest.raises(ValueError, match=r'corrupt at line 2 \(it is not the metrics of epoch 1\)'): load_history(p)
    for text, why in [('{"epoch": 0, "test_acc": "high"}', "test_acc='high' is not an accuracy in [0, 1]"), ('[' * 100000, 'corrupt at line 1'),
                      ('{"epoch": 0, "test_acc": 99.0}', 'test_acc=99.0 is not an accuracy in [0, 1]')]:
        p.write_text(text)
        with pytest.raises(ValueError, match=re.escape(why)): load_history(p)
    p.write_bytes(b'\xff\xfe')
    with pytest.raises(ValueError, match='is not text'): load_history(p)

# --- a table is checked whole before any cell starts --------------------------------------------------------------------

TABLE_MISTAKES = {
    'empty --columns': (['--columns'], 'expected at least one argument'),
    'empty --methods': (['--methods'], 'expected at least one argument'),
    'a column with nan': (['--columns', '10,nan'], 'nr=nan'),
    'a column with IR 0': (['--columns', '0,0.1'], 'ir=0'),
    'a column twice': (['--columns', '10,0.1', '10,0.10'], 'lists (10, 0.1) twice'),
    'a method twice': (['--methods', 'baseline', 'raa', 'baseline'], "lists 'baseline' twice"),
    'an unknown model': (['--model', 'resnet'], "model='resnet' (--model) is unknown"),
    'momentum 5': (['--momentum', '5'], 'momentum=5.0 (--momentum) must be a finite number >= 0 and < 1'),
    'a column without NR': (['--columns', '10'], "column '10': write IR,NR"),
    'one method by two names': (['--methods', 'baseline', 'none_none_none'], 'are the same method (NONE/NONE/NONE)'),
    'a validation set larger than the data': (['--valid-size', '1347'], 'valid_size=1347 (--valid-size) does not fit'),
    'fewer points to select than classes': (['--select-size', '5'], 'select_size=5 (--select-size) is below the 10 classes'),
}

@pytest.mark.parametrize('args, why', [(['--seed', '-5'], 'seed=-5 (--seed) must be an integer >= 0 and < 4294967296'),
                                       (['-r', str(10**23)], '(-r) must be an integer >= 0 and < 4294967296')])
def test_seeds_numpy_cannot_take_are_refused(tmp_path, args, why):
    assert_clean_error(run_cli('autodo-train', *QUICK, *args, '--data', tmp_path), why)

@pytest.mark.parametrize('case', TABLE_MISTAKES)
def test_table_mistakes_are_found_before_any_cell_starts(tmp_path, case):
    args, why = TABLE_MISTAKES[case]
    base = {'--methods': ['baseline'], '--columns': ['10,0.1']}
    base = [x for k, v in base.items() if k not in args for x in (k, *v)]
    assert_clean_error(run_cli('autodo-table', *base, *args, '--runs', 1, '--epochs', 2, '--data', tmp_path), why)
    assert not [p for p in tmp_path.rglob('*') if p.is_file()], 'no cell started'

def test_a_failed_cell_says_why_and_what_to_do(finished, tmp_path):
    root = fresh(finished, tmp_path)
    next(root.rglob('*.json')).unlink()
    next(root.rglob('*.ckpt')).write_bytes(b'')  # this cell fails as it starts; running it again cannot help
    r = run_cli('autodo-table', '--methods', 'baseline', '--columns', '10,0.1', '--runs', 1, '--epochs', 2, '--data', root, '--workers', 1)
    assert_clean_error(r, '1 cells failed, e.g. Digits/run0/baseline_ir_10_sr_1.0_nr_0.1: ', 'not a file that torch.save wrote',
                       'fix what it names')
