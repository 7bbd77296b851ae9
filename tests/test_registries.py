"Each registry is the one place to extend: a solver, a launcher, a loss hyperparameter or a learned augmentation added to it reaches every command and run."
import argparse, dataclasses
import pytest, torch
import torch.nn.functional as F
from autodo import cli, config, hypergrad, hypermodels, table
from autodo.core import given, setting

def test_a_new_solver_is_one_entry(monkeypatch):
    half = lambda train_grads, params, v, iters, alpha, reduce=None: [0.5 * t for t in v]
    monkeypatch.setitem(hypergrad.SOLVERS, 'half', half)
    assert '--solver {neumann,cg,identity,half}' in cli.train_parser().format_help()
    assert config.make_config('Digits', 'autodo_aw', solver='half', epochs=3, hyper_start=0).solver == 'half'
    w = torch.ones(3, requires_grad=True); theta = torch.ones(3, requires_grad=True)
    (g,) = hypergrad.hypergrad(((theta - w) ** 2).sum(), (theta ** 2).sum(), [theta], [w], solver='half')
    assert torch.allclose(g, torch.full((3,), 2.))  # -(d2Lt/dw dtheta) p = -(-2) * (0.5 * 2 theta)
    with pytest.raises(config.ConfigError, match='neumann, cg, identity, half'): config.make_config('Digits', solver='lbfgs')

@dataclasses.dataclass
class CountingLauncher(table.Launcher):
    "Counts the cells it is given and runs none"
    note:str = setting('')  # a note for the log
    def run(self, todo, store, log=print):
        log(f'{len(todo)} cells {self.note}')
        return todo

def test_a_new_launcher_is_one_entry(monkeypatch, tmp_path):
    monkeypatch.setitem(table.LAUNCHERS, 'count', CountingLauncher)
    p = cli.table_parser()
    assert '--launcher count: Counts the cells it is given and runs none' in p.format_help()
    args = p.parse_args(['--launcher', 'count', '--note', 'hello'])
    launcher = cli.launcher_from_args(args)
    assert isinstance(launcher, CountingLauncher) and launcher.note == 'hello'
    logged = []
    with pytest.raises(table.TableError, match='2 cells failed'):
        table.run_table('Digits', ['baseline'], [(10, 0.1)], 2, str(tmp_path), launcher=launcher, log=logged.append, epochs=2)
    assert '2 cells hello' in logged

@hypermodels.loss_term('temperature')
class Temperatures(hypermodels.LossTerm):
    "A temperature per point that divides its logits, starting at 1"
    def __init__(self, n, num_classes, **kwargs):
        super().__init__()
        self.params = hypermodels.PerPoint(torch.zeros(1), n)
    diagnostics = ('temperature_mean',)  # shown by results tables, though registered after `autodo.results` was imported
    def per_sample(self, logits, targets, value): return F.cross_entropy(logits / hypermodels.point_weights(value), targets, reduction='none')
    def frame(self, df, idx, y, c): df['temperature'] = hypermodels.point_weights(self.params.table[idx, 0].cpu()).numpy()
    @classmethod
    def stats(cls, df, num_classes): return dict(temperature_mean=float(df.temperature.mean())) if 'temperature' in df else {}

def test_a_new_loss_hyperparameter_is_three_entries(monkeypatch, tmp_path):
    "The term above (registered), a `--los-model` that switches it on, and a table row: then it trains, learns, is saved and freezes"
    monkeypatch.setitem(config.LOSSES, 'TEMP', ('temperature',))
    monkeypatch.setitem(config.METHODS, 'autodo_at', config.Method('SEP', 'TEMP', 'HES'))
    assert 'TEMP' in cli.train_parser().format_help() and 'autodo_at' in cli.train_parser().format_help()
    from autodo.train import Run, train
    run = train('Digits', 'autodo_at', ir=10, nr=0.1, epochs=3, hyper_start=0, root=str(tmp_path), progress=False)
    fresh = Run(run.cfg); fresh.setup_data(); fresh.setup_model()
    assert [t.table.shape[1] for t in run.ado.tables] == [14, 1]
    assert (run.ado.tables[1].table != fresh.ado.tables[1].table).any(), 'the temperatures learned'
    assert run.results['hyper_steps'] > 0 and run.results['hyper_steps_skipped'] == 0
    from autodo.results import collect_results, diagnostics_layout
    assert 'temperature_mean' in collect_results(tmp_path) and run.results['temperature_mean'] > 0
    assert 'temperature_mean' in diagnostics_layout(collect_results(tmp_path), 'Digits', 10, 0.1).columns
    frozen = train('Digits', 'autodo_at', ir=10, nr=0.1, epochs=3, hyper_start=0, root=str(tmp_path), progress=False, freeze='temperature')
    temperature = lambda run: run.ado.loss_model.terms['temperature'].params.table
    assert torch.equal(temperature(frozen), temperature(fresh)), 'the new table is frozen by its name'
    assert not torch.equal(frozen.ado.aug_model.params.table, fresh.ado.aug_model.params.table), 'the augmentation still learns'

class BrightnessJitter(hypermodels.LearnedAugment):
    "A learned augmentation that is no affine warp: each point's images scaled by 1 + s * noise, s the sigmoid of its logit"
    def __init__(self, n, upsample=1):
        super().__init__()
        self.params = hypermodels.PerPoint(torch.full((1,), -1.), n)
    def forward(self, x, lam): return x * (1 + torch.sigmoid(lam[:, :1, None, None]) * torch.randn(len(x), 1, 1, 1, device=x.device))

def test_a_new_augmentation_model_is_four_entries_in_two_modules(monkeypatch, tmp_path):
    "The model above: what builds it, its `--aug-model` switch (AUGMENTS, LEARNED_AUGMENTS), a table row; it learns, frames, freezes"
    monkeypatch.setitem(hypermodels.AUGMENT_MODELS, 'BRI', BrightnessJitter)
    monkeypatch.setitem(config.AUGMENTS, 'BRI', 'learned brightness jitter, one per point')
    monkeypatch.setattr(config, 'LEARNED_AUGMENTS', (*config.LEARNED_AUGMENTS, 'BRI'))
    monkeypatch.setitem(config.METHODS, 'autodo_bri', config.Method('BRI', 'WGHT', 'HES'))
    assert 'BRI' in cli.train_parser().format_help() and 'autodo_bri' in cli.train_parser().format_help()
    from autodo.train import Run, train
    quick = dict(ir=10, nr=0.1, epochs=3, hyper_start=0, root=str(tmp_path), progress=False)
    run = train('Digits', 'autodo_bri', **quick)
    fresh = Run(run.cfg); fresh.setup_data(); fresh.setup_model()
    assert (run.ado.aug_model.params.table != fresh.ado.aug_model.params.table).any(), 'it learned'
    assert 'augment_0' in run.point_frame() and run.results['hyper_steps_skipped'] == 0, 'its table is in the points frame'
    based = train('Digits', 'autodo_bri', **quick, base_augment=True, tag='based')
    assert repr(based.policy).startswith('RandSubAugment'), 'the learned warps share one base policy'
    frozen = train('Digits', 'autodo_bri', **quick, freeze='augment')
    assert torch.equal(frozen.ado.aug_model.params.table, fresh.ado.aug_model.params.table), 'kept at its start'
    assert (frozen.ado.loss_model.weights.table != fresh.ado.loss_model.weights.table).any(), 'the weights still learn'
