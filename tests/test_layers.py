"The package's layers point one way, and a command's start imports nothing heavy."
import ast, subprocess, sys
from graphlib import CycleError, TopologicalSorter
from readme import ROOT

PKG = ROOT / 'autodo'

def _imports(path) -> set:
    "The autodo modules that `path` imports anywhere in it (at the top or inside a function)"
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1: out |= {node.module} if node.module else {a.name for a in node.names}
            elif (node.module or '').startswith('autodo.'): out.add(node.module.split('.')[1])
            elif node.module == 'autodo': out |= {a.name for a in node.names}
        elif isinstance(node, ast.Import): out |= {a.name.split('.')[1] for a in node.names if a.name.startswith('autodo.')}
    return out

def module_graph() -> dict:
    "Each module of the package -> the modules of the package it imports"
    mods = {p.stem for p in PKG.glob('*.py')} - {'__init__', '_modidx'}
    return {p.stem: _imports(p) & mods - {p.stem} for p in PKG.glob('*.py') if p.stem in mods}

LAYERS = [{'core'},  # files, names, settings' metadata, the one error exit
          {'data', 'bias', 'policies', 'models', 'hypergrad', 'cleaning'},  # datasets, the bias split, fixed policies, networks, solvers, confident learning
          {'config'},  # methods and settings: what a run is
          {'losses'},  # the simple losses, and the criterion every method trains with
          {'hypermodels', 'method'},  # AutoDO
          {'plots'},  # figures of plain frames
          {'train'},  # the training recipe and its callbacks
          {'results', 'density', 'table', 'docs', 'labels'},  # what is made of finished runs
          {'cli'}]  # the command lines

def test_no_module_imports_one_that_imports_it_back():
    g = module_graph()
    try: list(TopologicalSorter(g).static_order())
    except CycleError as e: raise AssertionError(f'import cycle: {" -> ".join(e.args[1])}') from None

def test_layers_point_one_way():
    layer = {m: i for i, ms in enumerate(LAYERS) for m in ms}
    g = module_graph()
    assert set(g) == set(layer), f'modules without a layer: {sorted(set(g) ^ set(layer))}'
    up = [(m, d) for m, ds in g.items() for d in ds if layer[d] > layer[m] or (layer[d] == layer[m] and m != d and m in g[d])]
    assert not up, f'imports that point up a layer: {up}'

def test_the_walk_finds_a_cycle(tmp_path):
    "The check above can fail: a graph with a cycle is refused"
    g = module_graph() | {'core': {'cli'}}
    try: list(TopologicalSorter(g).static_order()); assert False, 'a cycle went unseen'
    except CycleError: pass

def _loaded(code:str) -> set:
    r = subprocess.run([sys.executable, '-c', code + '\nimport sys; print(" ".join(sys.modules))'], capture_output=True, text=True, check=True)
    return set(r.stdout.split())

def test_help_and_light_imports_stay_light():
    heavy = {'torch', 'pandas', 'sklearn', 'matplotlib', 'papermill', 'submitit'}
    for code in ('import autodo', 'import autodo.cli as c; c.train_parser().format_help(); c.table_parser().format_help()'):
        assert not heavy & _loaded(code), f'{code!r} imports {sorted(heavy & _loaded(code))}'
    method = _loaded('from autodo import AutoDO')
    assert 'torch' in method and not {'papermill', 'submitit', 'torch.utils.tensorboard', 'sklearn'} & method

def _patched(path) -> list:
    "Functions in `path` decorated with `@patch` whose class is defined in the same file"
    tree = ast.parse(path.read_text())
    own = {n.name for n in tree.body if isinstance(n, ast.ClassDef)}
    return [f.name for f in tree.body if isinstance(f, ast.FunctionDef) and any(getattr(d, 'id', None) == 'patch' for d in f.decorator_list)
            and f.args.args and getattr(f.args.args[0].annotation, 'id', None) in own]

def test_classes_are_whole_where_they_are_defined():
    "No module patches a class it defines (its methods live in the class, where readers and tools find them)"
    patched = {p.stem: _patched(p) for p in PKG.glob('*.py')}
    assert not any(patched.values()), {m: fs for m, fs in patched.items() if fs}
    assert _patched_sample() == ['method']

def _patched_sample() -> list:
    "The check can fail: a module that patches its own class is found"
    import tempfile, pathlib
    with tempfile.TemporaryDirectory() as d:
        p = pathlib.Path(d) / 'mod.py'
        p.write_text('from fastcore.basics import patch\nclass A: pass\n@patch\ndef method(self:A): return 1\n')
        return _patched(p)

def test_no_module_name_is_none():
    "Every public name of every module is bound to something: nothing left as None by a decorator"
    code = ('import importlib, pkgutil, autodo\n'
            'for m in pkgutil.iter_modules(autodo.__path__):\n'
            '    mod = importlib.import_module("autodo." + m.name)\n'
            '    print(*(f"{m.name}.{k}" for k, v in vars(mod).items() if v is None and not k.startswith("__")))')
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True)
    assert not r.stdout.split(), r.stdout.split()
