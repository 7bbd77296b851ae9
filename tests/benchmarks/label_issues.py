"""Which ranking finds the wrong labels? Every ranking of `autodo.labels` measured on finished runs where the wrong labels are
known, as mean ± std over runs, with what each costs: Digits with injected noise, or an image folder whose labels are wrong in
the folder itself (made here from Digits: flipped train labels, a clean valid/ and test/).

    python tests/benchmarks/label_issues.py ROOT [--runs 0 1 2] [-ir 10] [-nr 0.1]      # Digits, injected noise
    python tests/benchmarks/label_issues.py ROOT --folder [--flip 0.2] [-ir 10]         # an image folder, wrong labels in it

Missing runs (AutoDO(A,W,S) and the baseline, CPU preset) are trained first; finished ones are read back. Prints the table as
Markdown and writes every run's rows to ROOT/label_benchmark_{name}.csv.
"""
import argparse, sys
from pathlib import Path
import numpy as np
from PIL import Image
from autodo.data import digits_arrays
from autodo.labels import benchmark_table, ranking_benchmark
from autodo.train import train

def flipped_folder(d:Path, flip:float, valid:int=250, seed:int=0) -> dict:
    "Digits as PNGs: d/train with a `flip` share of labels moved to another class, clean d/valid and d/test; file -> true class"
    rng, truth = np.random.default_rng(seed), {}
    (xs, ys), (xt, yt) = digits_arrays()['train'], digits_arrays()['test']
    wrong = set(rng.choice(len(ys) - valid, round(flip * (len(ys) - valid)), replace=False).tolist())
    def put(split, i, x, y, given):
        f = d / split / f'digit_{given}' / f'{split}_{i}.png'
        if not f.exists():  # made once; the truth is the same every time (seeded)
            f.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(x[0].numpy()).save(f)
        return str(f)
    for i in range(len(ys)):
        y = int(ys[i])
        split = 'valid' if i >= len(ys) - valid else 'train'
        given = (y + 1 + rng.integers(9)) % 10 if i in wrong else y
        truth[put(split, i, xs[i], y, given)] = y
    for i in range(len(yt)): put('test', i, xt[i], int(yt[i]), int(yt[i]))
    return truth

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('root'); p.add_argument('--runs', type=int, nargs='+', default=[0, 1, 2])
    p.add_argument('-ir', type=int, default=10); p.add_argument('-nr', type=float, default=None)
    p.add_argument('--folder', action='store_true'); p.add_argument('--flip', type=float, default=0.2)
    p.add_argument('--epochs', type=int, default=None, help='training epochs (default: the preset)')
    a = p.parse_args(argv)
    root, extra = Path(a.root), {} if a.epochs is None else dict(epochs=a.epochs, hyper_start=a.epochs // 4)
    if a.folder:
        folder = root / 'flipped_digits'
        truth = flipped_folder(folder, a.flip)
        dataset, cell, name = str(folder), dict(ir=a.ir, nr=0.0), f'folder_ir_{a.ir}_flip_{a.flip}'
    else: dataset, cell, truth, name = 'Digits', dict(ir=a.ir, nr=0.1 if a.nr is None else a.nr), None, f'digits_ir_{a.ir}_nr_{a.nr or 0.1}'
    for r in a.runs:
        for m in ('autodo_aws', 'baseline'): train(dataset, m, run=r, root=str(root), progress=False, **cell, **extra)
    df = ranking_benchmark(dataset, a.runs, true_labels=truth, root=str(root), progress=False, **cell, **extra)
    df.to_csv(root / f'label_benchmark_{name}.csv', index=False)
    print(f'**{name}: {len(a.runs)} runs, CPU preset{"" if not extra else " " + str(extra)}**\n')
    print(benchmark_table(df).to_markdown())

if __name__ == '__main__': main()
