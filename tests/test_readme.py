from readme import ROOT, render_readme

def test_readme_matches_index_notebook():
    assert (ROOT/'README.md').read_text() == render_readme(), 'README.md is stale: run `python tests/readme.py`'

def test_readme_quick_start_has_the_ci_test_command():
    ci = (ROOT/'.ci'/'run').read_text()
    cmd = 'pip install -e ".[dev]" && pytest -n 2 --dist loadgroup tests/'
    assert cmd in (ROOT/'README.md').read_text() and cmd in ci
