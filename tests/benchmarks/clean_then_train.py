"""Clean with confident learning, then train, or AutoDO? The baseline, `cl_baseline` (the baseline after removing the labels
confident learning flags) and AutoDO(A,W,S) on one dataset's IR-NR columns, as mean ± std over runs, with what each costs and
what the cleaning removed.

    python tests/benchmarks/clean_then_train.py ROOT [--dataset Digits] [--columns 10,0.0 10,0.1] [--runs 0 1 2]

Missing runs (CPU preset) are trained first, one after another; finished ones are read back. Prints two Markdown tables: test
error under the three protocols, and the cost and the cleaning of each method (seconds are this machine's, under its load).
"""
import argparse
import pandas as pd
from autodo.core import RunStore
from autodo.train import make_config, train

METHODS = ('baseline', 'cl_baseline', 'autodo_aws')
PROTOCOLS = {'best': 'test_error_best', 'final': 'test_error_final', 'at best valid': 'test_error_at_best_valid'}

def results(root:str, dataset:str, columns:list, runs:list) -> pd.DataFrame:
    "One row per finished run of every method, column and run (trained first where missing)"
    rows, store = [], RunStore(root)
    for (ir, nr) in columns:
        for m in METHODS:
            for r in runs:
                cfg = make_config(dataset, m, ir=ir, nr=nr, run=r, root=root, progress=False)
                res = store.finished(cfg) or train(cfg=cfg).results
                rows.append(dict(ir=ir, nr=nr, method=m, run=r, minority=100 * (res['minority_test_acc'] or float('nan')), train_s=res['wall_time_s'],
                                 cleaning_s=res.get('cleaning_time_s', 0.0), removed=res.get('cleaned_out', 0),
                                 removed_wrong=res.get('cleaned_out_noisy', 0), wrong=res['n_noisy'] + res.get('cleaned_out_noisy', 0),
                                 **{k: res[v] for k, v in PROTOCOLS.items()}))
    return pd.DataFrame(rows)

def mean_std(df:pd.DataFrame, cols:list, fmt:str='.1f') -> pd.DataFrame:
    "Mean ± std over runs of `cols`, one row per column and method, in `METHODS` order"
    g = df.assign(order=df.method.map(METHODS.index)).groupby(['ir', 'nr', 'order', 'method'])
    m, s = g[cols].mean(), g[cols].std(ddof=1).fillna(0)
    out = pd.DataFrame({c: [f'{m.loc[k, c]:{fmt}} ± {s.loc[k, c]:{fmt}}' for k in m.index] for c in cols}, index=m.index)
    return out.set_axis([f'IR={ir}, NR={nr}: {meth}' for ir, nr, _, meth in m.index])

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('root'); p.add_argument('--dataset', default='Digits')
    p.add_argument('--columns', nargs='+', default=['10,0.0', '10,0.1']); p.add_argument('--runs', type=int, nargs='+', default=[0, 1, 2])
    a = p.parse_args(argv)
    columns = [(int(c.split(',')[0]), float(c.split(',')[1])) for c in a.columns]
    df = results(a.root, a.dataset, columns, a.runs)
    errors = mean_std(df, [*PROTOCOLS, 'minority'])
    cost = mean_std(df, ['train_s', 'cleaning_s', 'removed', 'removed_wrong', 'wrong'], '.0f')
    print(f'test error (%) under each protocol, minority-class test accuracy (%): {a.dataset}, cpu scale, runs {a.runs}\n')
    print(errors.to_markdown(), '\n')
    print('seconds of training and of cleaning (the out-of-sample models), and labels removed: all, wrong ones, and wrong ones there were\n')
    print(cost.to_markdown())

if __name__ == '__main__': main()
