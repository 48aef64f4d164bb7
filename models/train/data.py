"""Training data: synthetic studies (npz via synth_ct.py) preprocessed once with
preprocess.py and cached as one npz per (seed, count, size, window)."""

import json
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

import preprocess
import synth_ct

SIZE = [32, 96, 96]              # model input [D, H, W]
WINDOW = {"center": 40, "width": 120}
TRAIN_SEED, TRAIN_STUDIES = 1000, 800
VAL_SEED, VAL_STUDIES = 2000, 80
DATA_DIR = os.environ.get("RADBRIDGE_TRAIN_DATA", "/tmp/radbridge-train")


def load_set(seed, studies, log=print, size=None):
    """Returns dict x [N,D,H,W] float16 (windowed), m [N,D,H,W] float16 (resampled mask),
    y [N] bool, vol_ml [N] truth, vox_ml [N]."""
    size = list(size or SIZE)
    key = "g%s-s%d-n%d-%s-c%dw%d" % (synth_ct.GENERATOR_VERSION, seed, studies, "x".join(map(str, size)),
                                     WINDOW["center"], WINDOW["width"])
    cache = os.path.join(DATA_DIR, "cache-%s.npz" % key)
    if os.path.exists(cache):
        d = np.load(cache)
        return {k: d[k] for k in d}
    raw = os.path.join(DATA_DIR, "raw-g%s-s%d-n%d" % (synth_ct.GENERATOR_VERSION, seed, studies))
    t0 = time.time()
    if not os.path.exists(os.path.join(raw, "truth.json")):
        log("generating %d studies (seed %d) into %s" % (studies, seed, raw))
        synth_ct.main(["--seed", str(seed), "--studies", str(studies), "--out", raw, "--format", "npz"])
    with open(os.path.join(raw, "truth.json")) as f:
        truth = json.load(f)
    n = len(truth)
    xs = np.zeros([n] + size, dtype=np.float16)
    ms = np.zeros([n] + size, dtype=np.float16)
    ys = np.zeros(n, dtype=bool)
    vol = np.zeros(n, dtype=np.float64)
    vox = np.zeros(n, dtype=np.float64)
    for i, t in enumerate(truth):
        d = np.load(os.path.join(raw, t["folder"] + ".npz"))
        x = preprocess.preprocess(d["hu"], size, WINDOW["center"], WINDOW["width"])
        m = preprocess.resample(torch.from_numpy(d["mask"].astype(np.float32))[None, None], size)
        xs[i] = x[0, 0].numpy()
        ms[i] = m[0, 0].numpy()
        ys[i] = t["hemorrhage"]
        vol[i] = t["volume_ml"]
        vox[i] = preprocess.voxel_ml(d["hu"].shape, d["spacing"], size)
    out = {"x": xs, "m": ms, "y": ys, "vol_ml": vol, "vox_ml": vox}
    np.savez(cache, **out)
    log("cached %s in %.0f s" % (cache, time.time() - t0))
    return out


def random_crops(rng, data, batch, crop, pos_focus=0.6, head_focus=0.0):
    """Random crops [B,1,cd,ch,cw]; with probability pos_focus a positive study is
    cropped around a random bleed voxel, else with probability head_focus any study
    around a random voxel inside the head (skull edges: hard negatives)."""
    n, D, H, W = data["x"].shape
    cd, ch, cw = crop
    pos_idx = np.nonzero(data["y"])[0]
    xb = np.zeros((batch, 1, cd, ch, cw), dtype=np.float32)
    mb = np.zeros((batch, 1, cd, ch, cw), dtype=np.float32)
    for b in range(batch):
        if rng.random() < pos_focus and len(pos_idx):
            i = int(rng.choice(pos_idx))
            vz, vy, vx = np.nonzero(data["m"][i] >= 0.5)
            if len(vz):
                k = int(rng.integers(len(vz)))
                z0 = int(np.clip(vz[k] - rng.integers(0, cd), 0, D - cd))
                y0 = int(np.clip(vy[k] - rng.integers(0, ch), 0, H - ch))
                x0 = int(np.clip(vx[k] - rng.integers(0, cw), 0, W - cw))
            else:
                z0, y0, x0 = (int(rng.integers(0, s - c + 1)) for s, c in zip((D, H, W), crop))
        elif head_focus > 0 and rng.random() < head_focus:
            i = int(rng.integers(n))
            vz, vy, vx = np.nonzero(data["x"][i] > 0.15)
            k = int(rng.integers(len(vz)))
            z0 = int(np.clip(vz[k] - rng.integers(0, cd), 0, D - cd))
            y0 = int(np.clip(vy[k] - rng.integers(0, ch), 0, H - ch))
            x0 = int(np.clip(vx[k] - rng.integers(0, cw), 0, W - cw))
        else:
            i = int(rng.integers(n))
            z0, y0, x0 = (int(rng.integers(0, s - c + 1)) for s, c in zip((D, H, W), crop))
        xb[b, 0] = data["x"][i, z0:z0 + cd, y0:y0 + ch, x0:x0 + cw]
        mb[b, 0] = data["m"][i, z0:z0 + cd, y0:y0 + ch, x0:x0 + cw]
        if rng.random() < 0.5:                       # left-right flip
            xb[b] = xb[b, :, :, :, ::-1]
            mb[b] = mb[b, :, :, :, ::-1]
    return torch.from_numpy(xb), torch.from_numpy(mb)


def auc(scores, labels):
    """Area under the ROC curve (ties count half)."""
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels, dtype=bool)
    pos, neg = s[y], s[~y]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    gt = (pos[:, None] > neg[None, :]).sum()
    eq = (pos[:, None] == neg[None, :]).sum()
    return float((gt + 0.5 * eq) / (len(pos) * len(neg)))
