"`AutoDO` as a plain loop's user meets it: each bad argument to a public method is one `AutoDOInputError` (a `ValueError`) naming the argument, refused before anything changes; good arguments still work."
import math
import pytest, torch
import torch.nn as nn
from autodo.method import AutoDO, AutoDOInputError
from clirun import run_cli

N, C = 64, 10

class TinyNet(nn.Module):
    "A very small CNN split into `features` and `classifier`"
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(2), nn.Flatten())
        self.classifier = nn.Linear(16, C)
    def forward(self, x): return self.classifier(self.features(x))

torch.manual_seed(0)
NET, TARGETS = TinyNet(), torch.randint(0, C, (N,))
IDX = torch.tensor([0, 5, 9, N - 1])
X, Y, LOGITS = torch.rand(4, 1, 8, 8), TARGETS[IDX], torch.randn(4, C)
VAL = (torch.rand(8, 1, 8, 8), torch.randint(0, C, (8,)))
NAN, INF = float('nan'), float('inf')

def autodo(**kw) -> AutoDO: return AutoDO(N, C, targets=TARGETS, **kw)

def snapshot(a:AutoDO) -> tuple:
    "Everything a call could change: the tables and the optimizer state"
    s = a.opt.state_dict()
    return ([t.table.clone() for t in a.tables], [t.clone() for t in [*s['square_avg'].values(), *s['last'].values()]],
            (s['steps'], s['skipped'], s['lr']))

def assert_same(a:tuple, b:tuple):
    for x, y in zip(a[0] + a[1], b[0] + b[1]): assert torch.equal(x, y), 'a refused call changed a table or the optimizer state'
    assert a[2] == b[2], 'a refused call changed the step counts or the learning rate'

def with_table(k:str, change):
    "A state of a fresh `AutoDO` whose table `k` is `change`d (a copy)"
    s = autodo().state_dict()
    tables = {name: t.clone() for name, t in s['tables'].items()}
    tables[k] = change(tables[k])
    return dict(s, tables=tables)

def set_first(t, v):
    t = t.clone(); t.view(-1)[0] = v
    return t

# (id, the call on an AutoDO `a`, the argument its message names, a distinctive part of the message)
CALLS = [
    ('augment: negative idx', lambda a: a.augment(X, torch.tensor([0, 5, 9, -1])), 'idx', 'idx holds -1: point indices must lie in [0, n_train=64)'),
    ('augment: idx = n_train', lambda a: a.augment(X, torch.tensor([0, 5, 9, N])), 'idx', 'idx holds 64'),
    ('augment: float idx', lambda a: a.augment(X, IDX.float()), 'idx', 'torch.float32 tensor'),
    ('augment: bool mask', lambda a: a.augment(X, torch.tensor([True, False, True, False])), 'idx', 'torch.bool tensor'),
    ('augment: 2-D idx', lambda a: a.augment(X, IDX[:, None]), 'idx', 'shape (4, 1)'),
    ('augment: int16 idx', lambda a: a.augment(X, IDX.short()), 'idx', 'torch.int16 tensor'),
    ('augment: list idx', lambda a: a.augment(X, IDX.tolist()), 'idx', 'a list of 4 items'),
    ('augment: len(x) != len(idx)', lambda a: a.augment(X[:3], IDX), 'x', 'idx has length 4 but x has 3'),
    ('augment: uint8 images', lambda a: a.augment((X * 255).byte(), IDX), 'x', 'images to augment must be a float tensor'),
    ('augment: 3-D images', lambda a: a.augment(X[:, 0], IDX), 'x', 'shape (4, 8, 8)'),
    ('augment, shared: idx = n_train', lambda a: autodo(augment='SHA').augment(X, IDX + 1), 'idx', 'idx holds 64'),
    ('augment, none: len(x) != len(idx)', lambda a: autodo(augment='NONE').augment(X[:3], IDX), 'x', 'idx has length 4 but x has 3'),
    ('augment, none: x not a tensor', lambda a: autodo(augment='NONE').augment(X.tolist(), IDX), 'x', 'it must be a tensor'),
    ('loss: negative idx', lambda a: a.loss(LOGITS, Y, torch.tensor([0, 5, 9, -1])), 'idx', 'idx holds -1'),
    ('loss: idx = n_train', lambda a: a.loss(LOGITS, Y, torch.tensor([0, 5, 9, N])), 'idx', 'idx holds 64'),
    ('loss: float y', lambda a: a.loss(LOGITS, Y.float() + 0.7, IDX), 'y', 'labels must be a 1-D int64 (or int32) tensor'),
    ('loss: y = num_classes', lambda a: a.loss(LOGITS, torch.tensor([1, 2, 3, C]), IDX), 'y', 'y holds 10: labels must lie in [0, num_classes=10)'),
    ('loss: negative y', lambda a: a.loss(LOGITS, torch.tensor([1, 2, 3, -1]), IDX), 'y', 'y holds -1'),
    ('loss: logits too narrow', lambda a: a.loss(LOGITS[:, :C - 1], Y, IDX), 'logits', 'shape (batch, num_classes=10)'),
    ('loss: integer logits', lambda a: a.loss(LOGITS.long(), Y, IDX), 'logits', 'must be a float tensor'),
    ('loss: fewer logits', lambda a: a.loss(LOGITS[:3], Y, IDX), 'logits', 'y has length 4 but logits has 3'),
    ('loss: fewer idx', lambda a: a.loss(LOGITS, Y, IDX[:3]), 'idx', 'idx has length 3 but logits has 4'),
    ('loss, none: idx = n_train', lambda a: autodo(loss='NONE').loss(LOGITS, Y, IDX + 1), 'idx', 'idx holds 64'),
    ('loss, soft: y out of range', lambda a: autodo(loss='SOFT').loss(LOGITS, Y + C, IDX), 'y', 'y holds'),
    ('loss, soft: fewer y', lambda a: autodo(loss='SOFT').loss(LOGITS, Y[:3], IDX), 'y', 'y has length 3 but logits has 4'),
    ('loss: empty batch', lambda a: a.loss(LOGITS[:0], Y[:0], IDX[:0]), 'logits', 'logits is empty'),
    ('hyper_step: lr nan', lambda a: a.hyper_step(NET, VAL, (X, Y, IDX), NAN), 'lr', 'lr=nan must be a finite number >= 0'),
    ('hyper_step: lr inf', lambda a: a.hyper_step(NET, VAL, (X, Y, IDX), INF), 'lr', 'lr=inf'),
    ('hyper_step: lr negative', lambda a: a.hyper_step(NET, VAL, (X, Y, IDX), -0.1), 'lr', 'lr=-0.1'),
    ('hyper_step: lr a string', lambda a: a.hyper_step(NET, VAL, (X, Y, IDX), '0.1'), 'lr', "lr='0.1'"),
    ('hyper_step: negative idx', lambda a: a.hyper_step(NET, VAL, (X, Y, IDX - 1)), 'train_batch', "train_batch's idx holds -1"),
    ('hyper_step: idx = n_train', lambda a: a.hyper_step(NET, VAL, (X, Y, IDX + 1)), 'train_batch', "train_batch's idx holds 64"),
    ('hyper_step: train y out of range', lambda a: a.hyper_step(NET, VAL, (X, Y + C, IDX)), 'train_batch', "train_batch's y holds"),
    ('hyper_step: val y out of range', lambda a: a.hyper_step(NET, (VAL[0], VAL[1] - C), (X, Y, IDX)), 'val_batch', "val_batch's y holds"),
    ('hyper_step: len(x) != len(y)', lambda a: a.hyper_step(NET, VAL, (X[:3], Y, IDX)), 'train_batch', "train_batch's y has length 4 but train_batch's x has 3"),
    ('hyper_step: train batch of 2', lambda a: a.hyper_step(NET, VAL, (X, Y)), 'train_batch', 'it must be a tuple (x, y, idx)'),
    ('hyper_step: val batch of 1', lambda a: a.hyper_step(NET, (VAL[0],), (X, Y, IDX)), 'val_batch', 'it must be a tuple (x, y)'),
    ('hyper_pass: lr nan', lambda a: a.hyper_pass(NET, [(X, Y, IDX)], [VAL], NAN), 'lr', 'lr=nan'),
    ('hyper_pass: lr(k) nan', lambda a: a.hyper_pass(NET, [(X, Y, IDX)], [VAL], lambda k: NAN), 'lr', 'hyper_pass, batch 0: lr(0)=nan'),
    ('hyper_pass: lr(k) negative', lambda a: a.hyper_pass(NET, [(X, Y, IDX)], [VAL], lambda k: -1.), 'lr', 'lr(0)=-1.0'),
    ('hyper_pass: bad idx', lambda a: a.hyper_pass(NET, [(X, Y, IDX - 1)], [VAL]), 'train_batch', "hyper_pass, batch 0: train_batch's idx holds -1"),
    ('hyper_pass: no val batch', lambda a: a.hyper_pass(NET, [(X, Y, IDX)], []), 'val_batches', 'val_batches ran out after 0 batches'),
    ('load_state_dict: nan table', lambda a: a.load_state_dict(with_table('weights', lambda t: set_first(t, NAN))), 'state', "state['tables']['weights'] holds nan"),
    ('load_state_dict: inf table', lambda a: a.load_state_dict(with_table('soft', lambda t: set_first(t, -INF))), 'state', "state['tables']['soft'] holds -inf"),
    ('load_state_dict: integer table', lambda a: a.load_state_dict(with_table('augment', lambda t: t.long())), 'state', 'it must be torch.float32'),
    ('load_state_dict: float64 table', lambda a: a.load_state_dict(with_table('augment', lambda t: t.double())), 'state', 'it must be torch.float32'),
    ('load_state_dict: wrong shape', lambda a: a.load_state_dict(with_table('augment', lambda t: t[:-1])), 'state', 'does not fit'),
    ('load_state_dict: a table short', lambda a: a.load_state_dict(dict(autodo().state_dict(), tables=dict(list(autodo().state_dict()['tables'].items())[:2]))), 'state',
     "state['tables'] holds the tables augment, weights, and this AutoDO learns augment, weights, soft"),
    ('load_state_dict: nan square_avg', lambda a: a.load_state_dict(dict(s := autodo().state_dict(), opt=dict(s['opt'], square_avg={k: set_first(t, NAN) for k, t in s['opt']['square_avg'].items()}))),
     'state', "state['opt']['square_avg']['augment'] holds nan"),
    ('load_state_dict: negative steps', lambda a: a.load_state_dict(dict(s := autodo().state_dict(), opt=dict(s['opt'], steps=-1))), 'state', "state['opt']['steps']=-1"),
    ('load_state_dict: nan lr', lambda a: a.load_state_dict(dict(s := autodo().state_dict(), opt=dict(s['opt'], lr=NAN))), 'state', "state['opt']['lr']=nan"),
    ('load_state_dict: no opt', lambda a: a.load_state_dict(dict(tables=autodo().state_dict()['tables'])), 'state', 'keys tables, opt'),
    ('load_state_dict: not a dict', lambda a: a.load_state_dict([1, 2]), 'state', 'state is a list of 2 items'),
    ('frame: negative idx', lambda a: a.frame(torch.tensor([-1]), TARGETS), 'idx', 'idx holds -1'),
    ('frame: idx = n_train', lambda a: a.frame(torch.tensor([N]), TARGETS), 'idx', 'idx holds 64'),
    ('frame: float labels', lambda a: a.frame(IDX, TARGETS.float()), 'labels', 'labels is a torch.float32 tensor'),
    ('frame: labels too short', lambda a: a.frame(IDX, TARGETS[:3]), 'labels', 'labels has 3 labels: it needs one per training point, n_train=64'),
    ('frame: clean labels out of range', lambda a: a.frame(IDX, TARGETS, TARGETS + C), 'clean_labels', 'clean_labels holds'),
]

@pytest.mark.parametrize('call, arg, message', [c[1:] for c in CALLS], ids=[c[0] for c in CALLS])
def test_a_bad_argument_is_one_clear_error_that_changes_nothing(call, arg, message):
    a = autodo()
    a.hyper_step(NET, VAL, (X, Y, IDX))  # a state worth keeping: moved tables, one step
    before = snapshot(a)
    with pytest.raises(AutoDOInputError) as e: call(a)
    assert isinstance(e.value, ValueError)
    assert arg in str(e.value) and message in str(e.value), str(e.value)
    assert_same(snapshot(a), before)

# (id, keyword arguments of AutoDO, the argument its message names, a distinctive part of the message)
BUILDS = [
    ('n_train=0', dict(n_train=0), 'n_train', 'n_train=0 must be an integer >= 1'),
    ('n_train<0', dict(n_train=-5), 'n_train', 'n_train=-5'),
    ('n_train a bool', dict(n_train=True), 'n_train', 'n_train=True'),
    ('n_train a float', dict(n_train=64.0), 'n_train', 'n_train=64.0'),
    ('one class', dict(num_classes=1, targets=torch.zeros(N, dtype=torch.long)), 'num_classes', 'num_classes=1 must be an integer >= 2'),
    ('targets too short', dict(targets=TARGETS[:-1]), 'targets', 'targets has 63 labels: it needs one per training point, n_train=64'),
    ('targets out of range', dict(targets=TARGETS + C), 'targets', 'labels must lie in [0, num_classes=10)'),
    ('negative targets', dict(targets=TARGETS - C), 'targets', 'targets holds -'),
    ('float targets', dict(targets=TARGETS.float() + 0.5), 'targets', 'targets is a torch.float32 tensor'),
    ('2-D targets', dict(targets=TARGETS[:, None]), 'targets', 'shape (64, 1)'),
    ('hyper_lr nan', dict(hyper_lr=NAN), 'hyper_lr', 'hyper_lr=nan must be a finite number > 0'),
    ('hyper_lr 0', dict(hyper_lr=0.), 'hyper_lr', 'hyper_lr=0.0'),
    ('alpha inf', dict(alpha=INF), 'alpha', 'alpha=inf'),
    ('iters<0', dict(iters=-1), 'iters', 'iters=-1 must be an integer >= 0'),
    ('upsample 0', dict(upsample=0), 'upsample', 'upsample=0 must be an integer >= 1'),
]

@pytest.mark.parametrize('kw, arg, message', [b[1:] for b in BUILDS], ids=[b[0] for b in BUILDS])
def test_a_bad_setting_is_refused_when_built(kw, arg, message):
    with pytest.raises(AutoDOInputError) as e: AutoDO(**dict(dict(n_train=N, num_classes=C, targets=TARGETS), **kw))
    assert isinstance(e.value, ValueError) and arg in str(e.value) and message in str(e.value), str(e.value)

def test_good_arguments_still_work():
    a = AutoDO(torch.tensor(N), C, augment='SEP', loss='WGHT')  # a count held in a tensor
    assert a.n_train == N and isinstance(a.n_train, int)
    for idx in (IDX, IDX.int(), torch.tensor([N - 1, 0, 0, N - 1])):  # any signed integer dtype, the ends, repeats
        assert a.augment(X, idx).shape == X.shape
        torch.testing.assert_close(a.loss(LOGITS, Y.int(), idx), nn.functional.cross_entropy(LOGITS, Y))  # weights start at 1
    assert a.loss(LOGITS[:1], Y[:1], IDX[:1]).ndim == 0  # a batch of one
    assert AutoDO(N, C, augment='NONE', loss='NONE').augment(torch.rand(4, 7), IDX).shape == (4, 7)  # any input, unaugmented
    b = autodo()
    before = [t.table.clone() for t in b.tables]
    assert b.hyper_step(NET, list(VAL), [X, Y, IDX])['finite']  # lists, as a DataLoader gives them
    assert all((t.table != s).any(1).nonzero().flatten().tolist() == IDX.tolist() for t, s in zip(b.tables[1:], before[1:]))
    s = b.hyper_pass(NET, [(X, Y, IDX)] * 2, [VAL + (IDX,)] * 2, lr=lambda k: 0.01 * k)  # lr 0 is a step that moves nothing
    assert s['steps'] == 2 and b.opt.lr == 0.01
    other = autodo()
    other.load_state_dict(b.state_dict())
    assert all(torch.equal(x.table, y.table) for x, y in zip(other.tables, b.tables)) and other.opt.steps == b.opt.steps == 3
    assert list(b.frame(IDX, TARGETS).point) == IDX.tolist()

def test_a_refused_batch_leaves_the_steps_before_it():
    a = autodo()
    with pytest.raises(AutoDOInputError, match="hyper_pass, batch 2: train_batch's idx holds -1"):
        a.hyper_pass(NET, [(X, Y, IDX), (X, Y, IDX), (X, Y, IDX - 1)], [VAL] * 3)
    assert a.opt.steps == 2, 'each step before the bad batch was taken whole'

def test_a_checkpoint_with_a_nan_table_is_one_line(tmp_path):
    args = ('--method', 'autodo_aw', '-ir', 10, '-nr', 0.1, '-sr', 0.3, '--epochs', 2, '--hyper-start', 0, '--data', tmp_path, '--no-progress')
    assert run_cli('autodo-train', *args).returncode == 0
    ckpt = next(tmp_path.rglob('*.ckpt'))
    state = torch.load(ckpt, weights_only=True)
    state['ado']['tables']['weights'][3] = math.nan
    torch.save(state, ckpt)
    r = run_cli('autodo-train', *args)
    assert r.returncode == 2 and 'Traceback' not in r.stderr, r.stderr[-2000:]
    assert "state['tables']['weights'] holds nan" in r.stderr and 'does not fit' in r.stderr, r.stderr

def test_symmetric_must_be_a_bool():
    with pytest.raises(AutoDOInputError, match="symmetric is 'no': it must be True or False"): autodo(symmetric='no')
    assert autodo(symmetric=False).loss_model is not None

def test_a_checkpoint_with_a_negative_square_avg_is_one_line(tmp_path):
    args = ('--method', 'autodo_aw', '-ir', 10, '-nr', 0.1, '-sr', 0.3, '--epochs', 2, '--hyper-start', 0, '--data', tmp_path, '--no-progress')
    assert run_cli('autodo-train', *args).returncode == 0
    ckpt = next(tmp_path.rglob('*.ckpt'))
    state = torch.load(ckpt, weights_only=True)
    state['ado']['opt']['square_avg']['weights'][3] = -1.
    torch.save(state, ckpt)
    r = run_cli('autodo-train', *args)
    assert r.returncode == 2 and 'Traceback' not in r.stderr, r.stderr[-2000:]
    assert "state['opt']['square_avg']['weights'] holds -1.0" in r.stderr, r.stderr
