#!/usr/bin/python3
"""Train ich_segmentation on synthetic head CT, export TorchScript, update registry.json.

/usr/bin/python3 models/train/train_segmentation.py [--iters 500] [--threads 2]

Same data as train_classifier.py (synth_ct seed 1000, 800 studies; validation
seed 2000, 80 studies; preprocess.py to [32,128,128], window 40/120). Target: the
bleed mask resampled with the same trilinear interpolation (soft labels). Loss:
BCE + soft Dice on random 16x64x64 crops (half around bleeds, most others inside
the head so the skull's inner table is seen as a hard negative). Volume = count(prob >= 0.5) * voxel mL.
"""

import argparse
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402
import nets  # noqa: E402
import registry  # noqa: E402

MODEL_ID, VERSION = "ich_segmentation", "1.0.0"
CROP = (16, 64, 64)
SIZE = [32, 128, 128]  # finer in-plane than the classifier: volumes need the resolution
THRESHOLD = 0.5


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


def volumes(model, ds, threshold=THRESHOLD):
    out = []
    with torch.no_grad():
        for i in range(len(ds["y"])):
            xb = torch.from_numpy(ds["x"][i:i + 1].astype(np.float32))[:, None]
            p = model(xb)
            out.append(float((p >= threshold).sum()) * ds["vox_ml"][i])
    return np.array(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iters", type=int, default=500)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    rng = np.random.default_rng(1)
    t0 = time.time()
    train = data.load_set(data.TRAIN_SEED, data.TRAIN_STUDIES, log, SIZE)
    val = data.load_set(data.VAL_SEED, data.VAL_STUDIES, log, SIZE)
    log("data ready: train %d (%d pos), val %d" % (len(train["y"]), train["y"].sum(), len(val["y"])))

    model = nets.ICHSegmenter()
    with torch.no_grad():
        model.out.bias.fill_(-4.0)        # start from the prior: almost every voxel is not bleed
    nparams = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=4e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=4e-3, total_steps=args.iters, pct_start=0.1)
    model.train()
    t1 = time.time()
    for it in range(1, args.iters + 1):
        xb, mb = data.random_crops(rng, train, args.batch, CROP, pos_focus=0.5, head_focus=0.7)
        logits = model.logits(xb)
        bce = F.binary_cross_entropy_with_logits(logits, mb)
        p = torch.sigmoid(logits)
        inter = (p * mb).sum()
        dice = 1.0 - (2.0 * inter + 1.0) / (p.sum() + mb.sum() + 1.0)
        loss = bce * 10.0 + dice
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if it % 25 == 0 or it == 1:
            log("iter %d/%d loss %.4f (bce %.4f dice %.4f)" % (it, args.iters, loss.item(), bce.item(), dice.item()))
    train_s = time.time() - t1

    model.eval()
    pred = volumes(model, val)
    yv = val["y"]
    true = val["vol_ml"]
    rel = np.abs(pred[yv] - true[yv]) / true[yv]
    # reference: the same count on the resampled ground-truth mask
    ref = (val["m"].astype(np.float32) >= THRESHOLD).sum(axis=(1, 2, 3)) * val["vox_ml"]
    rel_ref = np.abs(ref[yv] - true[yv]) / true[yv]
    log("validation (seed %d): volume rel. error median %.3f p90 %.3f (resampled-truth floor: median %.3f); "
        "negatives: max predicted %.2f mL" % (data.VAL_SEED, np.median(rel), np.percentile(rel, 90),
                                                np.median(rel_ref), pred[~yv].max() if (~yv).any() else 0))

    scripted = torch.jit.script(model)
    out = os.path.join(registry.MODELS_DIR, "%s-%s.pt" % (MODEL_ID, VERSION))
    scripted.save(out)
    back = torch.jit.load(out)
    xchk = torch.from_numpy(val["x"][:1].astype(np.float32))[:, None]
    with torch.no_grad():
        assert torch.allclose(back(xchk), model(xchk), atol=1e-5)
    entry = registry.update_entry({
        "id": MODEL_ID, "version": VERSION, "file": os.path.basename(out),
        "accepts": {"modality": "CT", "body_parts": ["HEAD", "BRAIN"]},
        "input": {"window": dict(data.WINDOW), "size": list(SIZE), "layout": "NCDHW", "channels": 1},
        "output": {"kind": "segmentation", "label": "hemorrhage_volume", "display": "Hemorrhage volume",
                   "unit": "mL", "ucum": "mL"},
        "threshold": THRESHOLD,
    })
    log("saved %s (%d bytes, %d parameters), sha256 %s" % (out, os.path.getsize(out), nparams, entry["sha256"]))
    log("training loop %.0f s, total %.0f s" % (train_s, time.time() - t0))


if __name__ == "__main__":
    main()
