"""What each part of AutoDO buys, against the simple losses researchers reach for first: the baseline, logit adjustment and the
noise-robust losses (alone and together), clean-then-train, AutoDO(A) learned and with its augmentation frozen at its start,
AutoDO(A,W,S) learned and with A frozen, at the CPU preset over runs (seeds), on Digits IR=10 NR=0.1 and NR=0 and on an
image folder whose labels are wrong in the folder itself (Digits as PNGs, 20% of train labels flipped, IR=10).

    python tests/benchmarks/ablations.py ROOT [--runs 0 1 2] [--jobs 2] [--cells digits_noisy digits_clean folder] [--rows ...]

Missing runs are trained first, `--jobs` at a time, each with one torch thread; finished ones are read back. Prints one table
per cell as Markdown (test error under every protocol, minority-class test accuracy, wall seconds per run, cleaning included)
and writes every run's row to ROOT/ablations.csv."""
import argparse, os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
import pandas as pd
from fused_vs_separate import PROTOCOLS, cells, mean_std_table

ROWS = {'baseline': ('baseline', {}), 'la': ('la', {}), 'gce': ('gce', {}), 'sce': ('sce', {}), 'la_gce': ('la_gce', {}),
        'la_sce': ('la_sce', {}), 'cl_baseline': ('cl_baseline', {}),
        'autodo_a': ('autodo_a', {}), 'autodo_a[augment frozen]': ('autodo_a', dict(freeze='augment')),
        'autodo_aws': ('autodo_aws', {}), 'autodo_aws[augment frozen]': ('autodo_aws', dict(freeze='augment'))}

def one_run(dataset:str, settings:dict, row:str, run:int, root:str) -> dict:
    "The results of one run of `row` (trained unless finished), in a process of its own with one torch thread"
    import torch
    torch.set_num_threads(1)
    from autodo.core import RunStore
    from autodo.train import make_config, train
    method, extra = ROWS[row]
    cfg = make_config(dataset, method, run=run, root=root, progress=False, **settings, **extra)
    res = RunStore(root).finished(cfg) or train(cfg=cfg).results
    return dict(row=row, run=run, minority=100 * res['minority_test_acc'], wall_s=res['wall_time_s'] + res.get('cleaning_time_s', 0),
                **{k: res[v] for k, v in PROTOCOLS.items()})

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('root'); p.add_argument('--runs', type=int, nargs='+', default=[0, 1, 2]); p.add_argument('--jobs', type=int, default=2)
    p.add_argument('--cells', nargs='+', default=['digits_noisy', 'digits_clean', 'folder'], choices=['digits_noisy', 'digits_clean', 'folder'])
    p.add_argument('--rows', nargs='+', default=list(ROWS), choices=list(ROWS))
    a = p.parse_args(argv)
    root = Path(a.root); root.mkdir(parents=True, exist_ok=True)
    os.environ['OMP_NUM_THREADS'] = '1'
    jobs = {(name, row, r): (ds, s, row, r, str(root)) for name, (ds, s) in cells(root).items() if name in a.cells
            for row in a.rows for r in a.runs}
    with ProcessPoolExecutor(a.jobs) as pool:
        futures = {k: pool.submit(one_run, *args) for k, args in jobs.items()}
        df = pd.DataFrame([dict(cell=k[0], **f.result()) for k, f in futures.items()])
    df.to_csv(root / 'ablations.csv', index=False)
    for cell, d in df.groupby('cell', sort=False):
        print(f'\n{cell}, CPU preset, runs {a.runs}: test error (%) under each protocol, minority-class test accuracy (%), '
              f'wall seconds per run ({a.jobs} runs at a time, one thread each)\n')
        print(mean_std_table(d, ['row']).to_markdown())

if __name__ == '__main__': main()
