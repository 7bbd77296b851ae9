"""Time of an AutoDO epoch (hyper-steps + training epoch) over a baseline training epoch, and of evaluation, measured in one run.

Run: python tests/benchmarks/bench_epoch.py [--dataset Digits] [--method autodo_aws] [--epochs 3] [--scale cpu] [--device auto]
The method runs in each hyper mode (`separate`: the original's hyper pass before each training epoch; `fused`: each training
step is also its batch's hyper-step; `separate, hyper_every=3`: each hyper pass over a third of the train points). Every run uses the same dataset, split, model and batch sizes (the scale's preset);
their epochs (after the hyper-start) alternate, and each reports the median over `--epochs` epochs after one warm-up epoch. Evaluation is timed once per run (test set and selection
subset) and amortised over the preset's evaluation interval.

`--dataset small-real` times a small-data run shaped like SVHN at CPU scale (5,000 train points of 32x32 RGB, a 22,000-point
validation set, SVHN's 26,032 test images); its pixels are random, so it measures cost only, never accuracy."""
import argparse, statistics, tempfile, time
import torch
from autodo.data import DatasetInfo, register_dataset
from autodo.train import Run, make_config

MODES = {'separate': {}, 'fused': dict(hyper_mode='fused'), 'separate, hyper_every=3': dict(hyper_every=3)}  # name -> settings

def register_small_real(train=5000, valid=22000, test=26032):
    "A dataset with SVHN's image shape and test size and a small train set; random pixels, for timing only"
    g = torch.Generator().manual_seed(0)
    data = {s: (torch.randint(0, 256, (n, 3, 32, 32), dtype=torch.uint8, generator=g), torch.randint(0, 10, (n,), generator=g))
            for s, n in [('train', train + valid), ('test', test)]}
    register_dataset(DatasetInfo('small-real', 10, 3, 32, (0.5,) * 3, (0.25,) * 3, {'train': train + valid, 'test': test}, valid,
                                 files={'train': [], 'test': []}, load=lambda root, split, download: data[split]))

def ready(cfg):
    r = Run(cfg); r.setup_data(); r.setup_model(); r.history = []
    return r

def epoch_time(r, e):
    "Seconds of epoch `e` after the hyper-start: the hyper pass (separate mode), then the training epoch"
    t, epoch = time.perf_counter(), r.cfg.hyper_start + 1 + e
    if r.ado.learns and r.cfg.hyper_mode == 'separate': r.hyper_epoch(epoch)
    r.train_epoch(epoch)
    return time.perf_counter() - t

def eval_time(r):
    t = time.perf_counter()
    r.evaluate(r.test_set, torch.arange(len(r.test_set)), r.test_set.targets)
    r.evaluate(r.valid_set, r.select_idx, r.valid_targets)
    return time.perf_counter() - t

def epoch_parser(doc:str, epochs:int) -> argparse.ArgumentParser:
    "The options of the epoch benchmarks: which run, how many epochs, where"
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--dataset', default='Digits', help="a registered dataset, or 'small-real' (see bench_epoch.py)")
    ap.add_argument('--method', default='autodo_aws')
    ap.add_argument('--epochs', type=int, default=epochs); ap.add_argument('--scale', default='cpu')
    ap.add_argument('--ir', type=int, default=10); ap.add_argument('--nr', type=float, default=0.1)
    ap.add_argument('--device', default='auto', help="'auto', 'cpu' or 'cuda'")
    return ap

def main():
    a = epoch_parser(__doc__, 3).parse_args()
    if a.dataset == 'small-real': register_small_real()
    with tempfile.TemporaryDirectory() as root:
        kw = dict(ir=a.ir, nr=a.nr, root=root, progress=False, device=a.device)
        cfg = make_config(a.dataset, a.method, a.scale, **kw)
        runs = [ready(make_config(a.dataset, 'baseline', a.scale, **kw))] + [ready(make_config(a.dataset, a.method, a.scale, **s, **kw))
                                                                 for s in MODES.values()]
        times = [[epoch_time(r, e) for r in runs] for e in range(a.epochs + 1)]  # interleaved; the first is a warm-up
        base, *auto = (statistics.median(t[i] for t in times[1:]) for i in range(len(runs)))
        ev, r = eval_time(runs[1]), runs[1]
    print(f'{a.dataset} IR={a.ir} NR={a.nr}: {len(r.split.train_idx)} train, {len(r.split.valid_idx)} validation '
          f'({len(r.select_idx)} for selection), {len(r.test_set)} test points; model {cfg.model}, batch {cfg.batch_size} / '
          f'hyper batch {cfg.hyper_batch_size}, {torch.get_num_threads()} threads, {cfg.scale} scale')
    print(f'baseline epoch {base:.3f} s')
    for mode, run, t in zip(MODES, runs[1:], auto):
        preset = (run.cfg.hyper_mode, run.cfg.hyper_every) == (cfg.hyper_mode, cfg.hyper_every)
        print(f"{a.method} epoch, {mode}{' (the preset)' if preset else ''}: {t:.3f} s, ratio {t / base:.2f}x")
    print(f'evaluation {ev:.3f} s every {r.eval_every} epochs: {ev / r.eval_every:.3f} s per epoch, '
          f'{ev / r.eval_every / base:.2f}x a baseline epoch')
    if r.device.type == 'cuda':
        print(f'{torch.cuda.get_device_name(r.device)}: peak GPU memory {torch.cuda.max_memory_allocated(r.device) / 2**30:.2f} GiB '
              f'(both runs in one process)')

if __name__ == '__main__': main()
