"""The faster hyper modes against the original's separate hyper pass: AutoDO(A,W,S) at the CPU preset in each mode over runs
(`separate`; `fused`: each training step is also its batch's hyper-step; `every3`: each hyper pass takes a third of the train
points, `hyper_every=3`; `every3_lr3`: the same with 3x the hyper learning rate, so that a point's hyperparameters can move about
as far in a run), as mean ± std of the test error under every protocol, minority-class accuracy and wall time, on Digits IR=10 NR=0.1 and NR=0
and on an image folder whose labels are wrong in the folder itself (Digits as PNGs, 20% of train labels flipped, IR=10).

    python tests/benchmarks/fused_vs_separate.py ROOT [--runs 0 1 2] [--jobs 2] [--cells digits_noisy digits_clean folder]
        [--modes separate fused every3 every3_lr3]

Missing runs are trained first, `--jobs` at a time, each with one torch thread; finished ones are read back. Prints the
table as Markdown and writes every run's row to ROOT/fused_vs_separate.csv."""
import argparse, os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
import pandas as pd

MODES = {'separate': {}, 'fused': dict(hyper_mode='fused'), 'every3': dict(hyper_every=3),
         'every3_lr3': dict(hyper_every=3, hyper_lr=0.15)}  # name (and tag) -> settings
PROTOCOLS = {'best': 'test_error_best', 'final': 'test_error_final', 'at best valid': 'test_error_at_best_valid'}

def cells(root:Path) -> dict:
    "name -> (dataset, settings) of the three cells compared"
    from label_issues import flipped_folder
    folder = root / 'flipped_digits'
    flipped_folder(folder, 0.2)
    return {'digits_noisy': ('Digits', dict(ir=10, nr=0.1)), 'digits_clean': ('Digits', dict(ir=10, nr=0.0)),
            'folder': (str(folder), dict(ir=10, nr=0.0))}  # Digits IR=10 NR=0.1 and NR=0; Digits PNGs, 20% flipped, IR=10

def one_run(dataset:str, settings:dict, mode:str, run:int, root:str) -> dict:
    "The results of one run (trained unless finished), in a process of its own with one torch thread"
    import torch
    torch.set_num_threads(1)
    from autodo.core import RunStore
    from autodo.train import make_config, train
    cfg = make_config(dataset, 'autodo_aws', run=run, root=root, progress=False, tag=mode, **MODES[mode], **settings)
    res = RunStore(root).finished(cfg) or train(cfg=cfg).results
    return dict(mode=mode, run=run, minority=100 * res['minority_test_acc'], wall_s=res['wall_time_s'],
                **{k: res[v] for k, v in PROTOCOLS.items()})

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('root'); p.add_argument('--runs', type=int, nargs='+', default=[0, 1, 2]); p.add_argument('--jobs', type=int, default=2)
    p.add_argument('--cells', nargs='+', default=['digits_noisy', 'digits_clean', 'folder'], choices=['digits_noisy', 'digits_clean', 'folder'])
    p.add_argument('--modes', nargs='+', default=list(MODES), choices=list(MODES))
    a = p.parse_args(argv)
    root = Path(a.root); root.mkdir(parents=True, exist_ok=True)
    os.environ['OMP_NUM_THREADS'] = '1'
    jobs = {(name, m, r): (ds, s, m, r, str(root)) for name, (ds, s) in cells(root).items() if name in a.cells for m in a.modes
            for r in a.runs}
    with ProcessPoolExecutor(a.jobs) as pool:
        futures = {k: pool.submit(one_run, *args) for k, args in jobs.items()}
        df = pd.DataFrame([dict(cell=k[0], **f.result()) for k, f in futures.items()])
    df.to_csv(root / 'fused_vs_separate.csv', index=False)
    print(f'AutoDO(A,W,S), CPU preset, runs {a.runs}: test error (%) under each protocol, minority-class test accuracy (%), '
          f'wall seconds per run ({a.jobs} runs at a time, one thread each)\n')
    print(mean_std_table(df, ['cell', 'mode']).to_markdown())

def mean_std_table(df:pd.DataFrame, by:list) -> pd.DataFrame:
    "Mean ± std over runs of every protocol, the minority accuracy and the wall time, per group `by`"
    cols = [*PROTOCOLS, 'minority', 'wall_s']
    g = df.groupby(by, sort=False)
    m, s = g[cols].mean(), g[cols].std(ddof=1).fillna(0)
    return pd.DataFrame({c: [f'{m.loc[k, c]:.1f} ± {s.loc[k, c]:.1f}' for k in m.index] for c in cols}, index=m.index)

if __name__ == '__main__': main()
