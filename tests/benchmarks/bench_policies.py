"""Images per second of each batched policy against a per-image PIL loop doing the same work.

Run: python tests/benchmarks/bench_policies.py [--batch 256] [--repeats 5] [--device cpu]
Both sides get the same 32x32 RGB photo crops; the PIL side starts from PIL images and ends at PIL images, the batched side
from a uint8 tensor to a uint8 tensor. RAND is compared with torchvision's own PIL RandAugment."""
import argparse, random, statistics, time
import torch
from torchvision import transforms as T
from autodo.policies import (RandAugment, RandSubAugment, FastAutoAugment, DADA, RANDAUGMENT_OPS, pil_apply, to_pil,
                             sample_photos)

def pil_randaugment(policy):
    "Per-image PIL RandAugment with `policy`'s op list and value rule"
    def run(img):
        for name, low, high, signed in random.choices(policy.ops, k=policy.n):
            v = low + random.random() * policy.m / 30 * (high - low)
            img = pil_apply(img, name, -v if signed and random.random() < 0.5 else v)
        return img
    return run

def pil_table(policy):
    "Per-image PIL application of a Fast AutoAugment / DADA table"
    def run(img):
        k = random.randrange(len(policy))
        for op, p, level in zip(policy.op[k].tolist(), policy.prob[k].tolist(), policy.level[k].tolist()):
            if random.random() < p:
                name = policy.names[op]
                v = float(policy.low[op] + level * (policy.high[op] - policy.low[op]))
                img = pil_apply(img, name, -v if policy.signed[op] and random.random() < 0.5 else v)
        return img
    return run

def timed(fn, repeats):
    ts = []
    for _ in range(repeats):
        t = time.perf_counter(); fn(); ts.append(time.perf_counter() - t)
    return statistics.median(ts)

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--batch', type=int, default=256)
    ap.add_argument('--repeats', type=int, default=5)
    ap.add_argument('--device', default='cpu')
    a = ap.parse_args()
    x = sample_photos(a.batch).to(a.device)
    pils = [to_pil(i) for i in x.cpu()]
    ra = RandAugment(3, 15)
    cases = {'RAND RandAugment(3,15)': (ra, T.RandAugment(num_ops=3, magnitude=15)),
             'RandSubAugment(1,15)': (RandSubAugment(1, 15), pil_randaugment(RandSubAugment(1, 15))),
             'AUTO FastAutoAugment(CIFAR10)': (FastAutoAugment('CIFAR10'), None),
             'DADA(CIFAR10)': (DADA('CIFAR10'), None)}
    print(f'batch {a.batch} of 32x32 RGB, device {a.device}, torch threads {torch.get_num_threads()}, median of {a.repeats}')
    print(f"{'policy':32s} {'batched img/s':>14s} {'PIL img/s':>10s} {'ratio':>7s}")
    for name, (batched, pil) in cases.items():
        pil = pil or pil_table(batched)
        sync = torch.cuda.synchronize if a.device.startswith('cuda') else (lambda: None)
        batched(x); sync()
        tb = timed(lambda: (batched(x), sync()), a.repeats)
        tp = timed(lambda: [pil(i) for i in pils], a.repeats)
        print(f'{name:32s} {a.batch / tb:14.0f} {a.batch / tp:10.0f} {tp / tb:6.1f}x')

if __name__ == '__main__': main()
