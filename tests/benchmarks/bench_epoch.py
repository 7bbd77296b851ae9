"""Time of an AutoDO epoch (hyper pass + training epoch) over a baseline training epoch, measured in one run.

Run: python tests/benchmarks/bench_epoch.py [--dataset Digits] [--method autodo_aws] [--epochs 3] [--scale cpu]
Both runs use the same dataset, split, model and batch sizes (the scale's preset); their epochs alternate, and each side
reports the median over `--epochs` epochs after one warm-up epoch."""
import argparse, statistics, tempfile, time
import torch
from autodo.train import Run, make_config

def ready(cfg):
    r = Run(cfg); r.setup_data(); r.setup_model(); r.history = []
    return r

def epoch_time(r, e):
    t = time.perf_counter()
    if r.hyper_opt is not None: r.hyper_epoch(e)
    r.train_epoch(e)
    return time.perf_counter() - t

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--dataset', default='Digits'); ap.add_argument('--method', default='autodo_aws')
    ap.add_argument('--epochs', type=int, default=3); ap.add_argument('--scale', default='cpu')
    ap.add_argument('--ir', type=int, default=10); ap.add_argument('--nr', type=float, default=0.1)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as root:
        kw = dict(ir=a.ir, nr=a.nr, root=root, progress=False)
        cfg = make_config(a.dataset, a.method, a.scale, **kw)
        runs = ready(make_config(a.dataset, 'baseline', a.scale, **kw)), ready(cfg)
        times = [[epoch_time(r, e) for r in runs] for e in range(a.epochs + 1)]  # interleaved; the first is a warm-up
        base, auto = (statistics.median(t[i] for t in times[1:]) for i in (0, 1))
    print(f'{a.dataset} IR={a.ir} NR={a.nr}, model {cfg.model}, batch {cfg.batch_size} / hyper batch {cfg.hyper_batch_size}, '
          f'{torch.get_num_threads()} threads, {cfg.scale} scale')
    print(f'baseline epoch {base:.3f} s, {a.method} epoch (hyper pass + training) {auto:.3f} s, ratio {auto / base:.2f}x')

if __name__ == '__main__': main()
