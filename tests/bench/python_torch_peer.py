# The Python peer of infer_bench: the same TorchScript model on the same
# preprocessed tensor through Debian's python3-torch, timed like the C++ side
# (torch.inference_mode, same thread count, one warm-up pass).
#
#   /usr/bin/python3 python_torch_peer.py MODEL.pt INPUT.f32 D H W THREADS RUNS
#
# Prints one line per run: `ms=<milliseconds>`.
import sys
import time

import numpy as np
import torch

model_file, input_file = sys.argv[1], sys.argv[2]
d, h, w, threads, runs = (int(v) for v in sys.argv[3:8])
torch.set_num_threads(threads)
model = torch.jit.load(model_file, map_location="cpu")
model.eval()
x = torch.from_numpy(np.fromfile(input_file, dtype="<f4").reshape(1, 1, d, h, w))
with torch.inference_mode():
    model(x)
    for _ in range(runs):
        start = time.perf_counter()
        model(x)
        print(f"ms={(time.perf_counter() - start) * 1000:.4f}", flush=True)
