"The papermill experiment notebook runs one table cell end to end."
import json
from pathlib import Path
import papermill as pm
from readme import ROOT

def test_experiment_notebook_runs_with_papermill(tmp_path):
    out = tmp_path / 'out.ipynb'
    pm.execute_notebook(str(ROOT / 'nbs/experiments/experiment.ipynb'), str(out), kernel_name='python3', progress_bar=False,
                        parameters=dict(root=str(tmp_path), method='autodo_aw', progress=False,
                                        overrides={'epochs': 2, 'hyper_start': 0}))
    res = json.loads((tmp_path / 'Digits/run0/autodo_aw_ir_10_sr_1.0_nr_0.1.json').read_text())
    assert res['epochs_run'] == 2 and 'weight_auroc_noisy' in res
    nb = json.loads(out.read_text())
    images = [o for c in nb['cells'] if c['cell_type'] == 'code' for o in c.get('outputs', []) if 'image/png' in o.get('data', {})]
    assert len(images) == 2, 'the learning curves and the per-class accuracy'
