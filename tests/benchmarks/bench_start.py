"""How long a command takes to start: `import autodo`, `from autodo import AutoDO`, and `--help` of every command, each in a
fresh interpreter, for this checkout and (optionally) another one, alternating, in one run. Prints medians in seconds.

    python tests/benchmarks/bench_start.py [--other PATH_OF_ANOTHER_CHECKOUT] [--repeat 5]
"""
import argparse, os, statistics, subprocess, sys, tempfile, time
from pathlib import Path

HERE = Path(__file__).resolve().parents[2]
COMMANDS = {'python (nothing)': 'pass', 'import torch': 'import torch', 'import autodo': 'import autodo',
            'from autodo import AutoDO': 'from autodo import AutoDO'}
HELPS = {'autodo-train': 'autodo.cli:train_cli', 'autodo-table': 'autodo.table:table_cli', 'autodo-results': 'autodo.results:results_cli',
         'autodo-density': 'autodo.density:density_cli', 'autodo-docs': 'autodo.docs:docs_cli'}  # where each lived before autodo.cli had them all

def _script(prog:str, checkout:Path, folder:Path) -> Path:
    "A console-script wrapper for `prog` of `checkout`, as pip writes one"
    mod, fn = HELPS[prog].split(':')
    if (checkout / 'autodo' / 'cli.py').exists() and f'def {fn}' in (checkout / 'autodo' / 'cli.py').read_text(): mod = 'autodo.cli'
    p = folder / f'{prog}-{abs(hash(str(checkout)))}'
    p.write_text(f"import sys\nfrom {mod} import {fn}\nsys.exit({fn}())\n")
    return p

def seconds(args:list, checkout:Path) -> float:
    env = dict(os.environ, PYTHONPATH=str(checkout))
    t = time.perf_counter()
    subprocess.run([sys.executable, *args], env=env, cwd='/', stdout=subprocess.DEVNULL)
    return time.perf_counter() - t

if __name__ == '__main__':
    a = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    a.add_argument('--other', type=Path, help='another checkout to compare with (e.g. a worktree of an earlier commit)')
    a.add_argument('--repeat', type=int, default=5)
    args = a.parse_args()
    trees = {'this checkout': HERE} | ({f'{args.other}': args.other.resolve()} if args.other else {})
    cases = dict(COMMANDS) | {f'{p} --help': p for p in HELPS}
    times = {(c, t): [] for c in cases for t in trees}
    with tempfile.TemporaryDirectory() as d:
        for _ in range(args.repeat):
            for c, code in cases.items():
                for t, path in trees.items():
                    times[c, t].append(seconds([_script(code, path, Path(d)), '--help'] if code in HELPS else ['-c', code], path))
    print(f"{'':28s}" + ''.join(f'{t[-24:]:>26s}' for t in trees))
    for c in cases: print(f'{c:28s}' + ''.join(f'{statistics.median(times[c, t]):26.2f}' for t in trees))
