"""Speed of the series' positional encodings against their bare-tensor baselines.

Prints, side by side in one run, the median forward+backward time of
- LearnablePositionalEncoding vs a bare ``x + P[:, :T]``          (goal: within 1.25x)
- SinusoidalPositionalEncoding vs a bare add of a precomputed table (goal: within 1.25x)
- RotaryPositionalEncoding vs the rotary-embedding-torch package  (goal: at least as fast)

Run:  python benchmarks/bench_pe.py   (needs requirements-dev.txt for the reference package)
"""

import argparse
import statistics
import time

import torch

import helpers


def _step_ms(fn, x, inner: int) -> float:
    """Mean wall time in ms of ``inner`` forward+backward passes of fn on x."""
    t0 = time.perf_counter()
    for _ in range(inner):
        x.grad = None
        fn(x).sum().backward()
    return (time.perf_counter() - t0) * 1e3 / inner


def compare_ms(ours, baseline, x, repeats: int, inner: int = 10, warmup: int = 3) -> tuple[float, float]:
    """Median ms per forward+backward of ours and of baseline, timed alternately so drift hits both."""
    a, b = [], []
    for i in range(warmup + repeats):
        ta, tb = _step_ms(ours, x, inner), _step_ms(baseline, x, inner)
        if i >= warmup:
            a.append(ta)
            b.append(tb)
    return statistics.median(a), statistics.median(b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    helpers.set_seed(0)
    B, T, D, H = 32, 256, 256, 8
    Dh = D // H
    rows = []

    x = torch.randn(B, T, D, requires_grad=True)
    learned = helpers.LearnablePositionalEncoding(D, max_len=512)
    P = torch.nn.Parameter(learned.pe.detach().clone())
    rows.append(("learned (x: [32, 256, 256])", *compare_ms(learned, lambda t: t + P[:, :T], x, args.repeats),
                 "<= 1.25"))

    sinus = helpers.SinusoidalPositionalEncoding(D, max_len=512)
    table = helpers.sinusoidal_table(512, D)
    rows.append(("sinusoidal (x: [32, 256, 256])", *compare_ms(sinus, lambda t: t + table[:T], x, args.repeats),
                 "<= 1.25"))

    q = torch.randn(B, H, T, Dh, requires_grad=True)
    rope = helpers.RotaryPositionalEncoding(Dh)
    try:
        from rotary_embedding_torch import RotaryEmbedding
    except ImportError:
        rows.append(("rope vs rotary-embedding-torch", *compare_ms(rope, rope, q, args.repeats)[:1], float("nan"),
                     "<= 1.00 (install requirements-dev.txt)"))
    else:
        reference = RotaryEmbedding(dim=Dh)
        rows.append((f"rope (q: [{B}, {H}, {T}, {Dh}])", *compare_ms(rope, reference.rotate_queries_or_keys, q,
                                                                     args.repeats), "<= 1.00"))

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, median of {args.repeats} alternating "
          "samples of 10 forward + backward passes each")
    print(f"{'case':34s} {'ours ms':>9s} {'baseline ms':>12s} {'ratio':>7s}  goal")
    for name, ours, base, goal in rows:
        print(f"{name:34s} {ours:9.3f} {base:12.3f} {ours / base:7.2f}  {goal}")


if __name__ == "__main__":
    main()
