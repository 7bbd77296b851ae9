"End-to-end checks of training on the embedded Digits dataset: every method, the command line, resuming, and bad input."
import json, os, signal, subprocess, sys, time
from pathlib import Path
import pytest, torch
from autodo.bias import make_biased_split
from autodo.core import RunStore
from autodo.data import load_dataset
from autodo.train import METHODS, train
from clirun import run_cli

BIN = Path(sys.executable).parent
QUICK = dict(dataset='Digits', ir=10, nr=0.1, epochs=2, hyper_start=0, progress=False)

@pytest.mark.parametrize('method', list(METHODS))
def test_every_method_runs_and_writes_its_outputs(tmp_path, method):
    cleans = METHODS[method].clean != 'NONE'
    res = train(method=method, root=str(tmp_path), policy_tables_of='SVHN' if method in ('faa', 'dada') else None,
                **QUICK, **(dict(cl_folds=2, cl_epochs=2) if cleans else {})).results
    run = tmp_path / 'Digits' / 'run0'
    stem = f'{method}_ir_10_sr_1.0_nr_0.1'
    lines = [json.loads(l) for l in (run / f'{stem}.jsonl').read_text().splitlines()]
    assert [l['epoch'] for l in lines] == [0, 1]
    assert (run / f'{stem}.ckpt').exists() and (run / 'data_ir_10_sr_1.0_nr_0.1.pt').exists()
    assert any((run / 'tb' / stem).iterdir()) and (run / f'{stem}_curves.png').exists()
    assert (run / f'{stem}_learned.png').exists() == METHODS[method].learns
    assert json.loads((run / f'{stem}.json').read_text())['test_error_final'] == res['test_error_final']
    assert 0 <= res['test_error_best'] <= res['test_error_final'] <= 100
    assert len(res['per_class_test_acc']) == 10 and 0 <= res['minority_test_acc'] <= 1
    learns = METHODS[method].learns
    assert ('hyper_train_grad_sq' in lines[1]) == learns and 'hyper_train_grad_sq' not in lines[0]
    assert ('weight_auroc_noisy' in res) == ('weight_auroc_noisy_within_label' in lines[1]) == ('weights' in METHODS[method].tables)
    assert ('soft_clean_gain_share' in res) == ('soft_label_clean_share' in res) == ('soft' in METHODS[method].tables)
    assert ('aug_prob_per_class' in res) == ('augment' in METHODS[method].tables)
    assert ('hyper_movement_budget' in res) == learns
    assert ('cleaned_out' in res) == cleans and (run / 'oos_probs_cnn_2x2_ir_10_sr_1.0_nr_0.1.pt').exists() == cleans
    if cleans: assert 0 < res['cleaned_out'] and res['n_train'] + res['cleaned_out'] == 603 and res['cleaning_time_s'] > 0

def autodo_train(*args): return run_cli('autodo-train', *args)

def autodo_train_process(*args):
    return subprocess.run([BIN / 'autodo-train', *map(str, args)], capture_output=True, text=True, timeout=600)

def test_cli_trains_with_the_original_flags(tmp_path):
    r = autodo_train('-r', 'run1', '-ir', 10, '-nr', 0.1, '--dataset', 'Digits', '--aug-model', 'SEP', '--los-model', 'BOTH',
                     '--hyper-opt', 'HES', '--epochs', 2, '--hyper-start', 0, '--data', tmp_path, '--no-cuda', '--no-progress')
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out['method'] == 'autodo_aws' and out['run'] == 1 and out['scale'] == 'cpu'
    assert 0 <= out['weight_auroc_noisy_within_label'] <= 1 and out['hyper_steps_skipped'] == 0
    assert 'autodo-train: warning:' in r.stderr and 'can move at most about' in r.stderr, 'a 2-epoch run says it is too short'
    assert Path(out['results']).exists() and (tmp_path / 'Digits' / 'run1').is_dir()

def _metrics(path):
    return [{k: v for k, v in json.loads(l).items() if not k.startswith('time')} for l in Path(path).read_text().splitlines()]

def test_killed_run_resumes_to_the_uninterrupted_result(tmp_path):
    args = ['--dataset', 'Digits', '--method', 'autodo_aws', '-ir', 10, '-nr', 0.1, '--epochs', 4, '--hyper-start', 1,
            '--no-cuda', '--no-progress']
    stem = 'Digits/run0/autodo_aws_ir_10_sr_1.0_nr_0.1'
    whole, killed = tmp_path / 'whole', tmp_path / 'killed'
    assert autodo_train_process(*args, '--data', whole).returncode == 0  # both in processes of their own: the same threads
    p = subprocess.Popen([BIN / 'autodo-train', *map(str, args), '--data', killed], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    metrics = killed / f'{stem}.jsonl'
    deadline = time.time() + 300
    while time.time() < deadline and p.poll() is None and (not metrics.exists() or len(metrics.read_text().splitlines()) < 2):
        time.sleep(0.05)
    p.send_signal(signal.SIGKILL); p.wait()
    done = len(metrics.read_text().splitlines())
    assert 2 <= done < 4, f'the kill came after {done} epochs'
    r = autodo_train_process(*args, '--data', killed)
    assert r.returncode == 0, r.stderr
    assert _metrics(killed / f'{stem}.jsonl') == _metrics(whole / f'{stem}.jsonl')
    a, b = (json.loads((d / f'{stem}.json').read_text()) for d in (whole, killed))
    for k in ('test_error_best', 'test_error_final', 'test_error_at_best_valid', 'per_class_test_acc', 'weight_auroc_noisy',
              'soft_label_clean_share'):
        assert a[k] == b[k], k
    ta, tb = (torch.load(d / f'{stem}.ckpt', weights_only=False)['ado']['tables'] for d in (whole, killed))
    assert list(ta) == list(tb) and all(torch.equal(ta[k], tb[k]) for k in ta)

@pytest.mark.parametrize('args, message', [
    (['--aug-model', 'SEP'], 'need hyper_opt=HES'),
    (['--los-model', 'WGHT', '--hyper-opt', 'NONE'], 'need hyper_opt=HES'),
    (['--hyper-opt', 'HES'], 'nothing to learn'),
    (['--method', 'raa', '--aug-model', 'AUTO'], 'clashes'),
    (['--dataset', 'CIFAR-10'], 'CIFAR10'),
    (['-ir', 0], 'ir=0'),
    (['-nr', 1.5], 'nr=1.5'),
    (['--dataset', 'SVHN'], 'train_32x32.mat'),
    (['--method', 'faa', '--policy-tables-of', 'MNIST'], "policy_tables_of='MNIST'"),
    (['--method', 'autodo_aws', '--valid-size', 0], 'valid_size=0.0 (--valid-size) must be a count'),
    (['--dataset', 'CIFAR10', '--gpu', 0], "CUDA is not available"),
    (['--method', 'autodo_aws', '--hyper-alpha', 'nan'], 'hyper_alpha=nan (--hyper-alpha) must be a finite number > 0'),
    (['--method', 'autodo_aws', '--hyper-iters', -1], 'hyper_iters=-1 (--hyper-iters) must be an integer >= 0'),
    (['--method', 'autodo_aws', '--eval-every', -1], 'eval_every=-1 (--eval-every)'),
    (['--method', 'autodo_aws'], 'hyper_start=50 (--hyper-start) must be in [0, epochs - 1 = 0)'),
])
def test_bad_input_is_a_clear_error_not_a_traceback(tmp_path, args, message):
    if '--gpu' in args and torch.cuda.is_available(): pytest.skip('CUDA is available here')
    r = autodo_train(*args, '--data', tmp_path, '--epochs', 1, '--no-progress')
    assert r.returncode == 2 and message in r.stderr and 'Traceback' not in r.stderr, r.stderr

def test_diverging_hyper_steps_stop_the_run_and_name_the_setting(tmp_path):
    r = autodo_train('--method', 'autodo_aw', '-ir', 10, '-nr', 0.1, '--epochs', 2, '--hyper-start', 0, '--hyper-alpha', '1e30',
                     '--data', tmp_path, '--no-progress')
    assert r.returncode == 2 and 'were skipped' in r.stderr and '--hyper-alpha' in r.stderr and 'Traceback' not in r.stderr, r.stderr
    assert not list(tmp_path.glob('Digits/run0/*.json')), 'no results for a run that learned nothing'

def test_split_made_with_other_ratios_is_refused(tmp_path):
    other = make_biased_split(load_dataset('Digits').targets, 10, ir=100, nr=0.3, valid_size=250, seed=0)
    other.save(RunStore(tmp_path).split_path(dict(dataset='Digits', run=0, ir=10, sr=1.0, nr=0.1)))
    r = autodo_train('-ir', 10, '-nr', 0.1, '--data', tmp_path, '--epochs', 1, '--no-progress')
    assert r.returncode == 2 and 'other parameters' in r.stderr and 'ir=10' in r.stderr and 'Traceback' not in r.stderr

def test_corrupt_checkpoint_is_a_clear_error(tmp_path):
    assert autodo_train('--data', tmp_path, '--epochs', 1, '--no-progress').returncode == 0
    ckpt = tmp_path / 'Digits' / 'run0' / 'baseline_ir_1_sr_1.0_nr_0.0.ckpt'
    ckpt.write_bytes(ckpt.read_bytes()[:500])
    r = autodo_train('--data', tmp_path, '--epochs', 1, '--no-progress')
    assert r.returncode == 2 and 'corrupt' in r.stderr and 'Traceback' not in r.stderr

def test_ablations_validate_on_test_data_and_train_on_all_data(tmp_path):
    fit = train(method='autodo_aw', root=str(tmp_path), overfit=True, **QUICK).results
    over = train(method='autodo_aw', root=str(tmp_path), oversplit=True, **QUICK).results
    run = tmp_path / 'Digits' / 'run0'
    assert (run / 'autodo_aw_ir_10_sr_1.0_nr_0.1_overfit.json').exists() and (run / 'autodo_aw_ir_10_sr_1.0_nr_0.1_oversplit.json').exists()
    assert over['n_train'] > fit['n_train'], 'oversplit trains on the validation points too'
    lines = [json.loads(l) for l in (run / 'autodo_aw_ir_10_sr_1.0_nr_0.1_overfit.jsonl').read_text().splitlines()]
    assert lines[-1]['valid_acc'] == lines[-1]['test_acc'], 'overfit validates on the test set'
