"""Where the time of an AutoDO epoch goes: the hyper pass in its parts beside the training epoch, in one run.

Run: python tests/benchmarks/profile_epoch.py [--dataset Digits] [--method autodo_aws] [--epochs 2] [--scale cpu] [--device auto]
                                              [--hyper-mode separate|fused]
`--dataset small-real` is the 32x32 colour shape of `bench_epoch.py` (random pixels: cost only). The run is set up as in
`bench_epoch.py`; one warm-up epoch, then `--epochs` epochs (hyper pass and training epoch) under `torch.profiler`, whose
ranges (`torch.profiler.record_function`, named 'hyper: ...' and 'train: ...' in `autodo.method`, `autodo.hypergrad` and
`autodo.train`) give each part's time. A part's time is its range's own total (CPU, and the GPU's where there is one); the
data row is what the pass took outside its steps (loading, transforms, the loop). Times are per step and per epoch, with
the profiler on, so they are slightly higher than `bench_epoch.py`'s."""
import tempfile, time
from pathlib import Path
import torch
from torch.profiler import ProfilerActivity, profile
from bench_epoch import epoch_parser, ready, register_small_real
from autodo.train import make_config

def parts(prof, prefix:str, cuda:bool) -> dict:
    "Seconds per range whose name starts with `prefix`, summed over the profile"
    out = {}
    for e in prof.key_averages():
        if e.key.startswith(prefix):
            out[e.key[len(prefix):]] = (e.device_time_total if cuda else e.cpu_time_total) / 1e6
    return out

def profile_epochs(run, epochs:int, cuda:bool):
    "Hyper pass and training epoch times (wall) and their parts (profiler) over `epochs` epochs after a warm-up"
    first, separate = run.cfg.hyper_start + 1, run.cfg.hyper_mode == 'separate'
    if separate: run.hyper_epoch(first)
    run.train_epoch(first)
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    wall = dict(hyper=0., train=0.)
    acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])
    with profile(activities=acts) as prof:
        for e in range(first + 1, first + 1 + epochs):
            if separate: t = time.perf_counter(); run.hyper_epoch(e); sync(); wall['hyper'] += time.perf_counter() - t
            t = time.perf_counter(); run.train_epoch(e); sync(); wall['train'] += time.perf_counter() - t
    hyper, train = parts(prof, 'hyper: ', cuda), parts(prof, 'train: ', cuda)
    return (wall, dict(hyper=hyper, train=train)) if separate else (dict(train=wall['train']), dict(train=train | hyper))

def table(wall:dict, passes:dict, steps:dict, epochs:int) -> str:
    "A markdown table: each part's milliseconds per step and share of its pass"
    rows = ['| pass | part | ms per step | share of the pass |', '|---|---|---|---|']
    for name, ps in passes.items():
        total = wall[name]
        for part, s in [*ps.items(), ('data and loop (the rest)', total - sum(ps.values()))]:
            rows.append(f'| {name} | {part} | {1000 * s / (epochs * steps[name]):.2f} | {s / total:.0%} |')
        rows.append(f'| {name} | **whole pass** | **{1000 * total / (epochs * steps[name]):.2f}** | {total / epochs:.2f} s per epoch |')
    return '\n'.join(rows)

def main():
    ap = epoch_parser(__doc__, 2)
    ap.add_argument('--hyper-mode', default=None, help='separate or fused (default: the preset)')
    a = ap.parse_args()
    if a.dataset == 'small-real': register_small_real()
    with tempfile.TemporaryDirectory() as root:
        mode = {} if a.hyper_mode is None else dict(hyper_mode=a.hyper_mode)
        cfg = make_config(a.dataset, a.method, a.scale, ir=a.ir, nr=a.nr, root=root, progress=False, device=a.device, **mode)
        run = ready(cfg)
        cuda = run.device.type == 'cuda'
        wall, passes = profile_epochs(run, a.epochs, cuda)
    n = len(run.split.train_idx)
    steps = dict(hyper=n // cfg.hyper_batch_size or 1, train=n // cfg.batch_size or 1)
    print(f'{a.dataset} {a.method}, {cfg.scale} scale, model {cfg.model}, {n} train points, batch {cfg.batch_size} / hyper batch '
          f'{cfg.hyper_batch_size}, hyper_mode {cfg.hyper_mode}, {run.device}, {torch.get_num_threads()} threads, {a.epochs} epochs profiled')
    print(table(wall, passes, steps, a.epochs))
    if 'hyper' in wall: print(f"hyper pass / training epoch: {wall['hyper'] / wall['train']:.2f}x")

if __name__ == '__main__': main()
