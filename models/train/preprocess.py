"""The one preprocessing contract shared by training, evaluation and the C++ engine.

1. input: HU volume as float32 tensor [1, 1, Z, Y, X] (z = slice index, increasing
   ImagePositionPatient z; y = row; x = column), HU = stored * slope + intercept.
2. resample the whole volume to the registry's input.size [D, H, W] with
   torch.nn.functional.interpolate(mode="trilinear", align_corners=False).
3. window: x = clamp((hu - (center - width / 2)) / width, 0, 1) with the registry's
   input.window {center, width}.
Voxel volume of the resampled grid (mL) = (X*sx/W) * (Y*sy/H) * (Z*sz/D) / 1000,
sx, sy, sz being the original spacings (column, row, slice) in mm.
"""

import torch
import torch.nn.functional as F


def resample(vol, size):
    """vol: float32 tensor [1,1,Z,Y,X] (or [N,1,Z,Y,X]); size: [D,H,W]."""
    return F.interpolate(vol, size=tuple(int(s) for s in size), mode="trilinear", align_corners=False)


def window(x, center, width):
    lo = float(center) - float(width) / 2.0
    return torch.clamp((x - lo) / float(width), 0.0, 1.0)


def preprocess(hu, size, center, width):
    """hu: numpy array or tensor (Z,Y,X) or [1,1,Z,Y,X] in HU -> float32 [1,1,D,H,W] in [0,1]."""
    t = torch.as_tensor(hu, dtype=torch.float32)
    if t.dim() == 3:
        t = t[None, None]
    return window(resample(t, size), center, width)


def voxel_ml(shape_zyx, spacing_xyz, size):
    """Volume (mL) of one voxel of the resampled [D,H,W] grid."""
    Z, Y, X = shape_zyx
    sx, sy, sz = spacing_xyz
    D, H, W = size
    return (X * sx / W) * (Y * sy / H) * (Z * sz / D) / 1000.0


def entry(registry_path, model_id):
    """Registry entry for model_id (dict)."""
    import json
    with open(registry_path) as f:
        reg = json.load(f)
    for m in reg["models"]:
        if m["id"] == model_id:
            return m
    raise KeyError(model_id)
