"""Time of one AutoDO hyper-step at N = 1e4 and N = 1e6 training points, all else equal, and hyper-state bytes per point.

Run: python tests/benchmarks/bench_hyperstep.py [--classes 100] [--batch 128] [--steps 20]
lambda^{A,W,S} (SEP augmentation, loss weights, soft labels), C classes, Neumann solver with 5 iterations, a small CNN on
32x32 RGB batches; the median over `--steps` steps, each on random points."""
import argparse, statistics, time
import torch, torch.nn as nn
from autodo.hypermodels import AugmentModel, LossModel, SparseRMSprop, hyper_bytes_per_point
from autodo.method import hyper_step

class Net(nn.Module):
    def __init__(self, classes):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
                                      nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.classifier = nn.Linear(64, classes)

def time_steps(n, a, net):
    targets = torch.randint(0, a.classes, (n,))
    aug, lm = AugmentModel(n), LossModel(n, a.classes, 'BOTH', targets=targets, symmetric=True)
    opt = SparseRMSprop({'augment': aug.params, **lm.named_tables}, lr=0.05)
    val = (torch.randn(a.batch, 3, 32, 32), torch.randint(0, a.classes, (a.batch,)))
    times = []
    for _ in range(a.steps + 2):
        idx = torch.randint(0, n, (a.batch,))
        batch = (torch.randn(a.batch, 3, 32, 32), targets[idx], idx)
        t = time.perf_counter(); hyper_step(net, aug, lm, opt, val, batch); times.append(time.perf_counter() - t)
    return statistics.median(times[2:]), hyper_bytes_per_point([aug.params, *lm.tables], opt)

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--classes', type=int, default=100)
    ap.add_argument('--batch', type=int, default=128)
    ap.add_argument('--steps', type=int, default=20)
    a = ap.parse_args()
    torch.manual_seed(0)
    net = Net(a.classes)
    print(f'lambda^(A,W,S), C={a.classes}, batch {a.batch}, Neumann 5 iters, torch threads {torch.get_num_threads()}')
    res = {n: time_steps(n, a, net) for n in (10**4, 10**6)}
    for n, (t, b) in res.items(): print(f'N={n:>9,d}: {t * 1000:7.1f} ms per hyper-step, {b:.0f} bytes of hyper-state per point')
    print(f'time ratio N=1e6 / N=1e4: {res[10**6][0] / res[10**4][0]:.2f}')

if __name__ == '__main__': main()
