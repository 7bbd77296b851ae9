"The package is what the notebooks export, and the notebooks are clean."
import shutil, subprocess, sys
from pathlib import Path
from readme import ROOT

BIN = Path(sys.executable).parent

def _copy(tmp_path):
    for p in ('nbs', 'autodo', 'settings.ini'):
        src, dst = ROOT/p, tmp_path/p
        (shutil.copytree(src, dst, ignore=shutil.ignore_patterns('__pycache__')) if src.is_dir() else shutil.copy(src, dst))
    return tmp_path

def _snapshot(d, pattern): return {p.relative_to(d): p.read_bytes() for p in sorted(d.rglob(pattern))}

def test_export_leaves_package_unchanged(tmp_path):
    d = _copy(tmp_path)
    before = _snapshot(d/'autodo', '*.py')
    subprocess.run([BIN/'nbdev_export'], cwd=d, check=True)
    assert _snapshot(d/'autodo', '*.py') == before, 'autodo/ differs from the notebooks: run nbdev_export'

def test_notebooks_are_clean(tmp_path):
    d = _copy(tmp_path)
    before = _snapshot(d/'nbs', '*.ipynb')
    subprocess.run([BIN/'nbdev_clean'], cwd=d, check=True)
    changed = [str(k) for k, v in _snapshot(d/'nbs', '*.ipynb').items() if before.get(k) != v]
    assert not changed, f'notebooks not clean (run nbdev_clean): {changed}'
