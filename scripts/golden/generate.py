#!/usr/bin/env python3
"""Records the golden vectors in golden/ from real PyTorch (run by `deno task golden`).

Needs PyTorch (Debian: `apt-get install -y python3-torch`, PyTorch 1.13 at /usr/bin/python3).
Usage: generate.py [--out DIR] [--seed N] [--only NAME ...]
Different seeds give independent case sets in the same format, for checking that the numerics
are right rather than tuned to one set of cases.
"""
import argparse
import importlib
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import torch  # noqa: E402

GENERATORS = ["gen_quantize", "gen_linear", "gen_observers", "gen_fake_quant", "gen_fusion", "gen_conv",
              "gen_elementwise", "gen_rnn", "gen_embedding", "gen_activations2",
              "gen_onednn"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=os.path.join(HERE, "..", "..", "golden"), help="output folder")
    parser.add_argument("--seed", type=int, default=20261123, help="random seed for the cases")
    parser.add_argument("--only", nargs="*", help="generator modules to run (default: all)")
    args = parser.parse_args()
    torch.set_num_threads(1)  # vectorised kernels split work per thread: record single-threaded
    torch.manual_seed(args.seed)
    total = 0
    for name in args.only or GENERATORS:
        start = time.time()
        module = importlib.import_module(name)
        for golden in module.generate(args.seed):
            path, cases, size = golden.write(os.path.abspath(args.out))
            total += size
            print(f"{os.path.relpath(path)}: {cases} cases, {size / 1024:.0f} KiB "
                  f"({time.time() - start:.1f} s)", flush=True)
    print(f"total {total / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
