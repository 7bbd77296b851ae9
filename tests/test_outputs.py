"""The notebooks are saved with the outputs that teach, and those are what their code makes now; the experiment notebooks show a real, labelled run.
Executing each notebook here also runs every test cell `nbdev_test` runs, one notebook a test, so the suite's workers share them."""
import json, pytest
from autodo.docs import execute_notebook, library_notebooks
from clirun import run_cli
from readme import ROOT

NBS = ROOT / 'nbs'
WITH_FIGURES = ['02_bias', '03_policies', '05_hypergrad', '08_method', '09_plots', '10_train', '11_results', '12_density']

def _nb(name): return json.loads((NBS / f'{name}.ipynb').read_text())
def _outputs(nb): return [o for c in nb['cells'] if c['cell_type'] == 'code' for o in c['outputs']]
def _pngs(nb): return [o for o in _outputs(nb) if 'image/png' in o.get('data', {})]

@pytest.mark.parametrize('name', [p.stem for p in library_notebooks(NBS)])
def test_saved_outputs_are_what_the_notebooks_make(name):
    r = run_cli('autodo-docs', '--check-outputs', name)
    assert r.returncode == 0, r.stdout[-5000:] + r.stderr[-2000:]
    assert 'the saved outputs are what the notebooks make' in r.stdout

def test_home_page_runs(tmp_path):
    execute_notebook(NBS / 'index.ipynb', tmp_path / 'index.ipynb')
    nb = json.loads((tmp_path / 'index.ipynb').read_text())
    assert any(c['outputs'] for c in nb['cells'] if c['cell_type'] == 'code'), 'the home page shows its demo'

def test_check_outputs_of_an_unknown_notebook_names_the_choices():
    r = run_cli('autodo-docs', '--check-outputs', '10_trian')
    assert r.returncode == 2 and "no library notebook named ['10_trian']: use one of" in r.stderr and "'10_train'" in r.stderr, r.stderr

def test_notebooks_keep_their_figures_and_nothing_that_does_not_teach():
    for name in WITH_FIGURES: assert _pngs(_nb(name)), f'{name} is saved without its figures: run autodo-docs --save-outputs'
    for p in sorted(NBS.glob('[0-9]*.ipynb')):
        nb = json.loads(p.read_text())
        hidden = [c for c in nb['cells'] if c['cell_type'] == 'code' and ''.join(c['source']).startswith('#| hide') and c['outputs']]
        assert not hidden, f'{p.name}: outputs of hidden cells are saved'
        assert not [o for o in _outputs(nb) if o.get('name') == 'stderr' or o['output_type'] == 'error'], f'{p.name}: stderr or errors saved'

def test_experiment_notebooks_show_a_real_labelled_cpu_run():
    for name in ('experiment', 'table', 'density'):
        nb = _nb(f'experiments/{name}')
        notes = [''.join(c['source']) for c in nb['cells'] if 'run-outputs' in c['metadata'].get('tags', [])]
        assert len(notes) == 1 and notes[0].startswith('> **CPU scale.**'), f'{name}: no note naming its run'
        assert f'papermill {name}.ipynb out.ipynb' in notes[0] and 'not the paper' in notes[0]
        assert _pngs(nb), f'{name}: no figure of its run'
        assert not [o for o in _outputs(nb) if o['output_type'] == 'error' or o.get('name') == 'stderr'], name

def test_save_run_needs_a_papermill_output(tmp_path):
    r = run_cli('autodo-docs', '--save-run', tmp_path / 'missing.ipynb')
    assert r.returncode == 2 and 'missing.ipynb: no such file' in r.stderr, r.stderr
    r = run_cli('autodo-docs', '--save-run', NBS / '02_bias.ipynb')
    assert r.returncode == 2 and 'not executed by papermill' in r.stderr, r.stderr

def test_save_outputs_of_an_unknown_notebook_names_the_choices():
    r = run_cli('autodo-docs', '--save-outputs', '08_methods')
    assert r.returncode == 2 and "no library notebook named ['08_methods']: use one of" in r.stderr and "'08_method'" in r.stderr, r.stderr
