#!/usr/bin/python3
"""Held-out evaluation through DICOM, the same path the C++ engine takes.

/usr/bin/python3 models/train/evaluate.py [--seed 4242] [--studies 80] [--slices 32] [--size 256]
    [--data DIR] [--json OUT.json]

Generates DICOM studies with synth_ct.py (unless DIR already holds truth.json),
reads every slice back with pydicom (HU = stored * RescaleSlope + RescaleIntercept,
slices ordered by ImagePositionPatient z), preprocesses with preprocess.py using
the registry entry, runs the TorchScript files listed in registry.json (after
checking their sha256) and prints the metrics as JSON.
"""

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import preprocess  # noqa: E402
import registry  # noqa: E402
from data import auc  # noqa: E402


def read_series(folder):
    import pydicom
    slices = []
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".dcm"):
            continue
        ds = pydicom.dcmread(os.path.join(folder, name))
        hu = ds.pixel_array.astype(np.float32) * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
        slices.append((float(ds.ImagePositionPatient[2]), hu, ds))
    slices.sort(key=lambda s: s[0])
    vol = np.stack([s[1] for s in slices])
    ds0 = slices[0][2]
    sy, sx = (float(v) for v in ds0.PixelSpacing)
    sz = (slices[-1][0] - slices[0][0]) / (len(slices) - 1) if len(slices) > 1 else float(ds0.SliceThickness)
    return vol, (sx, sy, sz)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=4242)
    ap.add_argument("--studies", type=int, default=80)
    ap.add_argument("--slices", type=int, default=32)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--data", default=None)
    ap.add_argument("--json", default=None)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    data_dir = args.data or "/tmp/radbridge-eval-s%d-n%d-%dx%d" % (args.seed, args.studies, args.slices, args.size)
    if not os.path.exists(os.path.join(data_dir, "truth.json")):
        subprocess.run([sys.executable, os.path.join(HERE, "synth_ct.py"), "--seed", str(args.seed),
                        "--studies", str(args.studies), "--out", data_dir, "--slices", str(args.slices),
                        "--size", str(args.size), "--format", "dicom"], check=True)
    with open(os.path.join(data_dir, "truth.json")) as f:
        truth = json.load(f)

    reg = registry.load()
    entries = {m["id"]: m for m in reg["models"]}
    models = {}
    for mid, e in entries.items():
        path = os.path.join(registry.MODELS_DIR, e["file"])
        if registry.sha256_file(path) != e["sha256"]:
            raise SystemExit("sha256 mismatch for %s" % path)
        models[mid] = torch.jit.load(path).eval()

    rows = []
    t0 = time.time()
    for t in truth:
        hu, spacing = read_series(os.path.join(data_dir, t["folder"]))
        row = {"folder": t["folder"], "hemorrhage": t["hemorrhage"], "volume_ml": t["volume_ml"]}
        vol_t = torch.from_numpy(hu)[None, None]
        with torch.no_grad():
            for mid, e in entries.items():
                w = e["input"]["window"]
                x = preprocess.window(preprocess.resample(vol_t, e["input"]["size"]), w["center"], w["width"])
                out = models[mid](x)
                if e["output"]["kind"] == "probability":
                    row[mid] = float(out.reshape(-1)[0])
                else:
                    vox = preprocess.voxel_ml(hu.shape, spacing, e["input"]["size"])
                    row[mid] = float((out >= e["threshold"]).sum()) * vox
        rows.append(row)
    secs = time.time() - t0

    y = np.array([r["hemorrhage"] for r in rows])
    res = {"seed": args.seed, "studies": len(rows), "positives": int(y.sum()), "slices": args.slices,
           "size": args.size, "seconds": round(secs, 1)}
    if "ich_classifier" in entries:
        p = np.array([r["ich_classifier"] for r in rows])
        th = entries["ich_classifier"]["threshold"]
        res["ich_classifier"] = {
            "threshold": th, "auc": round(auc(p, y), 4),
            "sensitivity": round(float((p[y] >= th).mean()), 4),
            "specificity": round(float((p[~y] < th).mean()), 4),
            "min_positive_prob": round(float(p[y].min()), 4), "max_negative_prob": round(float(p[~y].max()), 4),
        }
    if "ich_segmentation" in entries:
        v = np.array([r["ich_segmentation"] for r in rows])
        tv = np.array([r["volume_ml"] for r in rows])
        rel = np.abs(v[y] - tv[y]) / tv[y]
        res["ich_segmentation"] = {
            "threshold": entries["ich_segmentation"]["threshold"],
            "volume_rel_error_median": round(float(np.median(rel)), 4),
            "volume_rel_error_p90": round(float(np.percentile(rel, 90)), 4),
            "volume_rel_error_max": round(float(rel.max()), 4),
            "volume_bias_median": round(float(np.median((v[y] - tv[y]) / tv[y])), 4),
            "true_volume_ml_range": [round(float(tv[y].min()), 1), round(float(tv[y].max()), 1)],
            "negatives_predicted_ml_max": round(float(v[~y].max()), 2) if (~y).any() else 0.0,
        }
    print(json.dumps(res, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"summary": res, "studies": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
