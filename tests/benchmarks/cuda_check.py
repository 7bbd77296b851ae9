"""Every CUDA path of autodo in one run, on the GPUs of this machine, with what it measured; under 10 minutes on one GPU.

Run: python tests/benchmarks/cuda_check.py [--quick]
1. The MNIST paper preset (3-stage CELU ResNet-18, learned warp at 4x, RandSubAugment, bf16 autocast) on `Digits` written as
   MNIST's IDX files: AutoDO lambda^{A,W,S}, a few epochs with hyper-steps, then its baseline.
2. The SVHN paper preset (WRN-28-10) on SVHN-shaped images held as PIL images, so batches come through a DataLoader with
   pinned memory: AutoDO lambda^{A,W,S} and its baseline; random pixels, so it measures cost, never accuracy.
3. Data-parallel on all GPUs (NCCL, SyncBatchNorm) when there are two or more: the same run as 1 with `nproc` = the GPU count.
4. The epoch benchmark at paper scale (`bench_epoch.py --scale paper --device cuda`): the AutoDO/baseline epoch ratio; then
   `profile_epoch.py --scale paper --device cuda`: the hyper-step's parts (GPU time per profiler range) beside the training step's.
It prints each run's epoch time (hyper pass and training apart), evaluation time, peak GPU memory and test error, and exits 1 if
any path failed. Without a GPU it says so and exits 0."""
import argparse, json, statistics, subprocess, sys, tempfile, time, traceback
from pathlib import Path
import torch

HERE = Path(__file__).resolve().parent

def write_mnist_idx(root:Path):
    "`Digits` as MNIST's raw IDX files under `root/MNIST/raw` (the paper's MNIST preset reads them as MNIST)"
    sys.path.insert(0, str(HERE.parent))
    from matrix import write_idx
    write_idx(root, n_train=1347, n_test=450)

def register_svhn_shaped(n_train:int=4096, n_test:int=2048):
    "A dataset of SVHN's shape like SVHN (its presets), its images PIL images so batches take the DataLoader path"
    from PIL import Image
    from autodo.data import DatasetInfo, register_dataset
    g = torch.Generator().manual_seed(0)
    def split(n):
        x, y = torch.randint(0, 256, (n, 32, 32, 3), dtype=torch.uint8, generator=g), torch.randint(0, 10, (n,), generator=g)
        return [(Image.fromarray(a.numpy()), int(b)) for a, b in zip(x, y)], y
    data = {'train': split(n_train), 'test': split(n_test)}
    register_dataset(DatasetInfo('svhn-shaped', 10, 3, 32, (0.5,) * 3, (0.25,) * 3, {'train': n_train, 'test': n_test}, 0.2,
                                 files={'train': [], 'test': []}, load=lambda root, split, download: data[split], like='SVHN'))

def summary(run) -> dict:
    "What one finished run measured"
    h, r = run.history_frame, run.results
    hyper = h[h.get('hyper_steps', 0) > 0] if 'hyper_steps' in h else h.iloc[:0]
    return dict(run=f"{run.cfg.dataset} {run.cfg.method} ({run.cfg.model}, {run.results['world_size']} GPU)",
                epoch_s=round(statistics.median(h.time_hyper + h.time_train), 2),
                hyper_pass_s=round(statistics.median(hyper.time_hyper), 2) if len(hyper) else None,
                train_s=round(statistics.median(h.time_train), 2), eval_s=round(h.time_eval.max(), 2),
                peak_gib=round(r['peak_memory_mb'] / 1024, 2), test_error_final=r['test_error_final'],
                hyper_steps=r.get('hyper_steps'), skipped=r.get('hyper_steps_skipped'))

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--quick', action='store_true', help='fewer epochs (a smoke test of every path)')
    a = ap.parse_args()
    if not torch.cuda.is_available():
        print('cuda_check: no CUDA device on this machine: nothing to check'); return 0
    from autodo.train import train
    gpus, epochs = torch.cuda.device_count(), 3 if a.quick else 6
    print(f'{gpus} x {torch.cuda.get_device_name(0)}, torch {torch.__version__}, CUDA {torch.version.cuda}', flush=True)
    rows, failed = [], []
    with tempfile.TemporaryDirectory() as root:
        write_mnist_idx(Path(root)); register_svhn_shaped()
        common = dict(root=root, progress=False, device='cuda', epochs=epochs, hyper_start=1)
        plan = [('MNIST preset, autodo_aws', lambda: train('MNIST', 'autodo_aws', 'paper', ir=10, nr=0.1, valid_size=250, **common)),
                ('MNIST preset, baseline', lambda: train('MNIST', 'baseline', 'paper', ir=10, nr=0.1, valid_size=250, **common)),
                ('SVHN preset, autodo_aws', lambda: train('svhn-shaped', 'autodo_aws', 'paper', ir=10, nr=0.1, workers=4, **common)),
                ('SVHN preset, baseline', lambda: train('svhn-shaped', 'baseline', 'paper', ir=10, nr=0.1, workers=4, **common))]
        if gpus > 1:
            plan.append((f'MNIST preset, autodo_aws on {gpus} GPUs', lambda: train('MNIST', 'autodo_aws', 'paper', ir=10, nr=0.1,
                         valid_size=250, nproc=gpus, tag='ddp', **common)))
        else: print('one GPU: the data-parallel run (NCCL, SyncBatchNorm) needs two or more; not run')
        for name, go in plan:
            t = time.perf_counter()
            try:
                torch.cuda.reset_peak_memory_stats()
                rows.append(summary(go()) | dict(wall_s=round(time.perf_counter() - t, 1)))
                print(json.dumps(rows[-1]), flush=True)
            except Exception:
                failed.append(name); print(f'FAILED {name}:\n{traceback.format_exc()}', flush=True)
    for script in ('bench_epoch', 'profile_epoch'):  # the AutoDO/baseline epoch ratio, then the hyper-step's parts on the GPU
        bench = subprocess.run([sys.executable, str(HERE / f'{script}.py'), '--scale', 'paper', '--device', 'cuda'],
                               capture_output=True, text=True, cwd=HERE)
        print(bench.stdout.strip() or f'FAILED {script}:\n{bench.stderr[-3000:]}', flush=True)
        if bench.returncode: failed.append(script)
    print('\n| run | epoch s | hyper pass s | train s | eval s | peak GiB | test error % | wall s |\n|---|---|---|---|---|---|---|---|')
    for r in rows:
        print(f"| {r['run']} | {r['epoch_s']} | {r['hyper_pass_s']} | {r['train_s']} | {r['eval_s']} | {r['peak_gib']} | "
              f"{r['test_error_final']} | {r['wall_s']} |")
    print(f"cuda_check: {'FAILED ' + ', '.join(failed) if failed else 'every CUDA path ran'}")
    return 1 if failed else 0

if __name__ == '__main__': sys.exit(main())
