"The configuration matrix's parts: the data a user brings, the cases (all pairs), one tiny run per case, and the checks every run must pass."
import itertools, json, math, os, shutil, struct, subprocess, sys, traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
from autodo.config import PAPER_METHODS
from autodo.train import METHODS as SWITCHES

METHODS = list(SWITCHES)
LEARNS = {m for m, s in SWITCHES.items() if s.learns}  # the methods that learn hyperparameters
TINY = dict(epochs=2, hyper_start=0)  # one ordinary epoch, then one with a hyper pass: every path, in seconds

# ---- the data a user brings -------------------------------------------------------------------------------------
def write_idx(folder:Path, n_train:int=600, n_test:int=200) -> Path:
    "MNIST's raw IDX files (as torchvision reads them) holding `Digits` images, under `folder/MNIST/raw`"
    from autodo.data import digits_arrays
    raw = folder / 'MNIST' / 'raw'; raw.mkdir(parents=True, exist_ok=True)
    (xs, ys), (xt, yt) = digits_arrays()['train'], digits_arrays()['test']
    for prefix, x, y in [('train', xs[:n_train], ys[:n_train]), ('t10k', xt[:n_test], yt[:n_test])]:
        x = x[:, 0].numpy()
        (raw / f'{prefix}-images-idx3-ubyte').write_bytes(struct.pack('>4i', 2051, len(x), 28, 28) + x.tobytes())
        (raw / f'{prefix}-labels-idx1-ubyte').write_bytes(struct.pack('>2i', 2049, len(y)) + y.numpy().astype('uint8').tobytes())
    return folder

def write_folder(d:Path, rgb:bool, splits:dict) -> Path:
    "`Digits` as PNGs of three sizes in `d/<split>/digit_<class>/`, greyscale or tinted colour; `splits`: split -> count"
    from PIL import Image, ImageOps
    from autodo.data import digits_arrays
    xs, ys = digits_arrays()['train']
    i = 0
    for split, count in splits.items():
        for _ in range(count):
            img = Image.fromarray(xs[i, 0].numpy()).resize((24 + 5 * (i % 3),) * 2)
            if rgb: img = ImageOps.colorize(img, black=(20, 10 * (i % 5), 60), white=(250, 220, 120 + 20 * (i % 4)))
            f = d / split / f'digit_{int(ys[i])}' / f'{i}.png'
            f.parent.mkdir(parents=True, exist_ok=True); img.save(f)
            i += 1
    return d

def make_data(tmp:Path) -> dict:
    "Every kind of data of the matrix: kind -> how a run names it"
    return {'digits': 'Digits', 'idx': str(write_idx(tmp / 'idx')),
            'folder': str(write_folder(tmp / 'greydigits', rgb=False, splits={'train': 320})),
            'folder_full': str(write_folder(tmp / 'colourdigits', rgb=True, splits={'train': 300, 'valid': 80, 'test': 100})),
            'object': 'object'}

# ---- the cases ----------------------------------------------------------------------------------------------------
PAIRWISE = dict(data=['digits', 'idx', 'folder', 'folder_full', 'object'], scale=['cpu', 'paper'],
                entry=['api', 'cli', 'notebook', 'table'],  # the cheap entry points first: they fill the pairs that need no other
                method=METHODS, bias=[(1, 0.0), (10, 0.0), (1, 0.2), (10, 0.2)])

def allowed(case:dict) -> bool:
    "A `Dataset` object exists only in Python: it reaches `train()` alone"
    return not (case.get('data') == 'object' and case.get('entry', 'api') != 'api')

def _pairs(case:dict) -> set:
    return {((a, repr(case[a])), (b, repr(case[b]))) for a, b in itertools.combinations(sorted(case), 2)}

# the default Digits table (`default_table`) runs every method through `autodo-table` and so through the notebook
TABLE_COVERS = set().union(*(_pairs({'entry': e, 'method': m}) for e in ('notebook', 'table') for m in PAPER_METHODS))

def all_pairs(factors:dict=PAIRWISE, ok=allowed, covered:set=TABLE_COVERS) -> list[dict]:
    "Cases that hold every allowed pair of values of any two factors, but the `covered` ones, at least once (greedy, deterministic)"
    todo = set().union(*(_pairs({a: va, b: vb}) for a, b in itertools.combinations(factors, 2)
                         for va in factors[a] for vb in factors[b] if ok({a: va, b: vb}))) - covered
    cases = []
    while todo:
        (a, va), (b, vb) = min(todo)
        case = {a: next(v for v in factors[a] if repr(v) == va), b: next(v for v in factors[b] if repr(v) == vb)}
        for f in factors:
            if f in case: continue
            options = [v for v in factors[f] if ok({**case, f: v})]
            case[f] = max(options, key=lambda v: (len(_pairs({**case, f: v}) & todo), -options.index(v)))
        cases.append({f: case[f] for f in factors})
        todo -= _pairs(case)
    return cases

def case_id(c:dict) -> str:
    return f"{c['data']}-{c['scale']}-{c['entry']}-{c['method']}-ir{c['bias'][0]}-nr{c['bias'][1]}"

# ---- one case -------------------------------------------------------------------------------------------------------
def settings(case:dict, data:dict) -> dict:
    "The run's settings: tiny, on a subset; the paper scale keeps its preset but for the CIFAR/SVHN network (see the test)"
    ir, nr = case['bias']
    kind, s = case['data'], dict(TINY, ir=ir, nr=nr)
    if SWITCHES[case['method']].clean != 'NONE': s.update(cl_folds=2, cl_epochs=1)  # confident learning's models: tiny too
    if kind == 'digits': s['sr'] = 0.3
    if kind == 'idx': s['valid_size'] = 150  # MNIST's own 10000 do not fit 600 points
    if case['scale'] == 'paper' and kind in ('folder', 'object'): s['like'] = 'MNIST'
    if case['scale'] == 'paper' and kind == 'folder_full': s.update(like='SVHN', model='cnn')
    return s

def _flags(s:dict, original:bool) -> list:
    "Command-line flags of settings `s`; `original`: `autodo-train`'s `-ir -nr -sr`, the original implementation's"
    alias = {'ir': '-ir', 'nr': '-nr', 'sr': '-sr'} if original else {}
    return sum(([alias.get(k, '--' + k.replace('_', '-')), str(v)] for k, v in s.items()), [])

def run_case(case:dict, data:dict, root:str) -> dict:
    "Run one case through its entry point; returns what it printed, its exit code and the results it wrote"
    import torch
    torch.set_num_threads(1)
    sys.path.insert(0, str(ROOT / 'tests'))
    from clirun import run_cli
    Path(root).mkdir(parents=True, exist_ok=True)
    s, kind, method, entry = settings(case, data), case['data'], case['method'], case['entry']
    dataset = 'MNIST' if kind == 'idx' else data[kind]
    if kind == 'idx': shutil.copytree(Path(data[kind]) / 'MNIST', Path(root) / 'MNIST')  # the files live under the results root
    out = dict(code=0, stdout='', stderr='')
    try:
        if entry == 'api' and kind == 'object': _run_object(method, case['scale'], s, root)
        elif entry == 'api':
            from autodo.train import train
            train(dataset, method, case['scale'], root=root, progress=False, **s)
        elif entry == 'cli':
            args = ['--dataset', dataset, '--method', method, '--scale', case['scale'], '--data', root, '--no-progress', '--no-cuda']
            r = run_cli('autodo-train', *args, *_flags(s, original=True))
            out.update(code=r.returncode, stdout=r.stdout, stderr=r.stderr)
        elif entry == 'notebook':
            params = dict(dataset=dataset, method=method, scale=case['scale'], ir=s.pop('ir'), nr=s.pop('nr'), sr=s.pop('sr', 1.0),
                          root=root, device='cpu', progress=False, threads=1, overrides=s)
            nb = Path(root) / 'executed.ipynb'
            r = subprocess.run([sys.executable, '-m', 'papermill', str(ROOT / 'nbs' / 'experiments' / 'experiment.ipynb'), str(nb),
                                '-y', json.dumps(params), '--no-progress-bar', '--cwd', root], capture_output=True, text=True)
            out.update(code=r.returncode, stdout=r.stdout, stderr=r.stderr)
        elif entry == 'table':
            ir, nr = s.pop('ir'), s.pop('nr')
            os.environ['OMP_NUM_THREADS'] = '1'  # the cell's papermill process: one thread, like this one
            r = run_cli('autodo-table', '--dataset', dataset, '--methods', method, '--columns', f'{ir},{nr}', '--runs', '1',
                        '--workers', '1', '--scale', case['scale'], '--data', root, *_flags(s, original=False))
            out.update(code=r.returncode, stdout=r.stdout, stderr=r.stderr)
    except Exception:
        out.update(code=-1, stderr=traceback.format_exc())
    out['results'] = [str(p) for p in sorted(Path(root).glob('*/run*/*.json'))]
    if out['code'] == 0 and out['results']: out.update(check_outputs(out['results'][0], root))
    return out

def _run_object(method:str, scale:str, s:dict, root:str):
    "`train()` with a `TensorDataset` of float images in [0, 1] (your own data, from Python)"
    from torch.utils.data import TensorDataset
    from autodo.data import digits_arrays
    from autodo.train import train
    xs, ys = digits_arrays()['train']
    train(TensorDataset(xs[:400].float() / 255, ys[:400]), method, scale, name='tensors', root=root, progress=False, **s)

# ---- what every run must show ---------------------------------------------------------------------------------------
def finite_numbers(x, where='results') -> list:
    "Paths of the numbers in `x` (nested dicts and lists) that are not finite"
    if isinstance(x, dict): return sum((finite_numbers(v, f'{where}.{k}') for k, v in x.items()), [])
    if isinstance(x, list): return sum((finite_numbers(v, f'{where}[{i}]') for i, v in enumerate(x)), [])
    return [where] if isinstance(x, float) and not math.isfinite(x) else []

def check_outputs(results_path:str, root:str) -> dict:
    "What a finished run owes: figures that are PNGs, finite numbers, and (learning methods) the movement of every table"
    from PIL import Image
    from autodo.core import RunStore
    from autodo.density import load_run
    from autodo.train import Config, Run
    r = json.loads(Path(results_path).read_text())
    cfg = Config(**{**r['config'], 'root': root, 'progress': False, 'device': 'cpu'})
    store = RunStore(root)
    figures = {k: store.path(cfg, k) for k in ('curves', 'learned')}
    pngs = {k: p.exists() and Image.open(p).format == 'PNG' for k, p in figures.items()}
    moved = None
    if cfg.method in LEARNS:
        learned = load_run(r, root)
        fresh = Run(learned.cfg); fresh.setup_data(); fresh.setup_model()
        moved = [float((a.table - b.table).abs().max()) for a, b in zip(learned.ado.tables, fresh.ado.tables)]
    return dict(result=r, pngs=pngs, not_finite=finite_numbers(r), moved=moved)

def check_all(root:str) -> dict:
    "`check_outputs` of every run under `root`, by results file"
    return {p: check_outputs(p, root) for p in map(str, sorted(Path(root).glob('*/run*/*.json')))}

# ---- whole tables, and the installed package ------------------------------------------------------------------------
TABLE_RUN = ['--runs', '1', '--epochs', '2', '--hyper-start', '0', '--sr', '0.3', '--workers', '1']

def default_table(root:str) -> dict:
    "`autodo-table --dataset Digits` with its default methods and columns (tiny runs), then `autodo-results` and `autodo-density` over them"
    import torch
    torch.set_num_threads(1); os.environ['OMP_NUM_THREADS'] = '1'
    sys.path.insert(0, str(ROOT / 'tests'))
    from clirun import run_cli
    steps = {'table': run_cli('autodo-table', '--dataset', 'Digits', '--data', root, *TABLE_RUN),
             'results': run_cli('autodo-results', '--data', root, '--out', f'{root}/table')}
    for nr in ('0.0', '0.1'):
        steps[f'density nr={nr}'] = run_cli('autodo-density', '--data', root, '--ir', '10', '--nr', nr, '--sr', '0.3', '--out', f'{root}/figures')
    return dict(steps={k: (r.returncode, r.stdout, r.stderr) for k, r in steps.items()}, runs=check_all(root),
                files=sorted(str(p.relative_to(root)) for p in Path(root).rglob('*.png') if 'run' not in p.parent.name),
                notebooks=sorted(p.stem for p in Path(root).glob('*/run*/*.ipynb')))

def installed_wheel(tmp:str) -> dict:
    "Build a wheel from the project's files, install it (not editable) in a fresh virtual environment, run every command elsewhere"
    tmp = Path(tmp)
    src = tmp / 'src'
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns('.git', '.venv', 'local_data', '_docs', '_proc', 'build', 'dist',
                                                              '*.egg-info', '__pycache__', '.pytest_cache'))
    sh = lambda *cmd, **kw: subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    steps = {'wheel': sh(sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '-w', tmp / 'dist', src)}
    venv = tmp / 'venv'
    steps['venv'] = sh(sys.executable, '-m', 'venv', '--without-pip', venv)
    import site
    site_dir = next((venv / 'lib').glob('python*/site-packages'))
    # the dependencies (torch, ...) from this environment's site-packages, whose own .pth files (an editable autodo) stay unread
    (site_dir / 'zz_dependencies.pth').write_text('\n'.join(site.getsitepackages()) + '\n')
    steps['install'] = sh(sys.executable, '-m', 'pip', '--python', venv / 'bin' / 'python', 'install', '--no-deps', '--no-index',
                          *sorted((tmp / 'dist').glob('autodo-*.whl')))
    elsewhere, results = tmp / 'elsewhere', tmp / 'results'
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ('AUTODO_ROOT', 'PYTHONPATH', 'VIRTUAL_ENV')}
    env.update(OMP_NUM_THREADS='1', PATH=f"{venv / 'bin'}:{env['PATH']}")
    run = lambda name, *args: sh(venv / 'bin' / name, *args, cwd=elsewhere, env=env)
    steps['where'] = run('python', '-c', 'import autodo, autodo.table as t; print(autodo.__file__); print(t.experiment_notebook())')
    steps['train'] = run('autodo-train', '--dataset', 'Digits', '--method', 'autodo_aws', '-sr', '0.3', '--epochs', '2',
                         '--hyper-start', '0', '--data', results, '--no-progress')
    steps['table'] = run('autodo-table', '--dataset', 'Digits', '--methods', 'baseline', 'la_sce', 'autodo_aws', '--columns', '10,0.2',
                         '--data', results, *TABLE_RUN)
    steps['results'] = run('autodo-results', '--data', results)
    steps['density'] = run('autodo-density', '--data', results, '--ir', '10', '--nr', '0.2', '--sr', '0.3', '--out', tmp / 'figures')
    return dict(steps={k: (r.returncode, r.stdout, r.stderr) for k, r in steps.items()}, venv=str(venv),
                figures=sorted(p.name for p in (tmp / 'figures').glob('*.png')),
                notebooks=sorted(str(p.relative_to(results)) for p in results.rglob('*.ipynb')))
