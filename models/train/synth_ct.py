#!/usr/bin/python3
"""Synthetic non-contrast head CT generator for radbridge.

Deterministic from --seed: study i of a run with seed S is drawn from
numpy.random.default_rng([S, i]) and does not depend on --studies.  Which
studies are positive is drawn once per run from default_rng([S, 1_000_003]).

Usage:
  /usr/bin/python3 models/train/synth_ct.py --seed N --studies K --out DIR \
      [--slices 32] [--size 256] [--hemorrhage-fraction 0.5] [--format dicom|npz]

Writes DIR/study-000/IM0001.dcm ... (dicom) or DIR/study-000.npz (npz), and
always DIR/truth.json.  HU = stored value (signed int16, slope 1, intercept 0).
"""

import argparse
import datetime
import hashlib
import json
import math
import os
import sys

import numpy as np

GENERATOR_VERSION = "1.1"  # bump when the drawn distribution changes (training caches key on it)
FOV_MM = 240.0          # in-plane field of view
Z_EXTENT_MM = 150.0     # cranio-caudal coverage
HU_MIN, HU_MAX = -1024, 3071
CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
EXPLICIT_VR_LE = "1.2.840.10008.1.2.1"
IMPLEMENTATION_UID = "2.25.197436210483015823477062939812845127601"
IMPLEMENTATION_VERSION = "RADBRIDGE_SYN1"
MANUFACTURER = "radbridge synthetic"


def spacing_for(slices, size):
    """(sx, sy, sz) in mm for a volume of `slices` x `size` x `size`."""
    s = FOV_MM / size
    return (s, s, Z_EXTENT_MM / slices)


def ds_str(v):
    """Decimal String value: exact for our grid values, at most 16 characters."""
    t = ("%.6f" % v).rstrip("0").rstrip(".")
    return "0" if t in ("", "-0") else t


def uid_for(*parts):
    """Deterministic UID in the 2.25.<128-bit decimal> form."""
    h = hashlib.sha256(("radbridge-synth:" + ":".join(str(p) for p in parts)).encode()).digest()
    return "2.25." + str(int.from_bytes(h[:16], "big"))


def accession_for(seed, i):
    acc = "SYN%dN%d" % (seed, i)
    if len(acc) > 16:
        acc = "SYN" + hashlib.sha256(acc.encode()).hexdigest()[:13].upper()
    return acc


# ---------------------------------------------------------------------------
# geometry helpers

def rotation_matrix(rng, max_yaw_deg, max_tilt_deg):
    """Small rotation: yaw about z, then tilts about x and y."""
    yaw = math.radians(rng.uniform(-max_yaw_deg, max_yaw_deg))
    pitch = math.radians(rng.uniform(-max_tilt_deg, max_tilt_deg))
    roll = math.radians(rng.uniform(-max_tilt_deg, max_tilt_deg))
    cz, sz = math.cos(yaw), math.sin(yaw)
    cx, sx = math.cos(pitch), math.sin(pitch)
    cy, sy = math.cos(roll), math.sin(roll)
    rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    return rz @ rx @ ry


def random_rotation(rng):
    """Uniform-ish random 3D rotation (from a random unit quaternion)."""
    q = rng.normal(size=4)
    q /= np.linalg.norm(q)
    w, x, y, z = q
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ])


class Grid:
    """Head-local coordinates (mm) of every voxel, float32, shape (Z, Y, X)."""

    def __init__(self, slices, size, center, rot):
        sx, sy, sz = spacing_for(slices, size)
        self.shape = (slices, size, size)
        self.spacing = (sx, sy, sz)
        x = (np.arange(size, dtype=np.float32) + 0.5) * sx - FOV_MM / 2 - center[0]
        y = (np.arange(size, dtype=np.float32) + 0.5) * sy - FOV_MM / 2 - center[1]
        z = (np.arange(slices, dtype=np.float32) + 0.5) * sz - center[2]
        # local = R^T (p - c); p - c is separable, so build by broadcasting
        rt = rot.T.astype(np.float32)
        X = x[None, None, :]
        Y = y[None, :, None]
        Zc = z[:, None, None]
        self.u = rt[0, 0] * X + rt[0, 1] * Y + rt[0, 2] * Zc
        self.v = rt[1, 0] * X + rt[1, 1] * Y + rt[1, 2] * Zc
        self.w = rt[2, 0] * X + rt[2, 1] * Y + rt[2, 2] * Zc

    def ellipsoid_r2(self, c, axes, rot=None):
        """Squared normalized radius of an ellipsoid at local centre c."""
        du = self.u - np.float32(c[0])
        dv = self.v - np.float32(c[1])
        dw = self.w - np.float32(c[2])
        if rot is not None:
            r = rot.T.astype(np.float32)
            du, dv, dw = (r[0, 0] * du + r[0, 1] * dv + r[0, 2] * dw,
                          r[1, 0] * du + r[1, 1] * dv + r[1, 2] * dw,
                          r[2, 0] * du + r[2, 1] * dv + r[2, 2] * dw)
        a, b, cc = (np.float32(1.0 / (s * s)) for s in axes)
        return du * du * a + dv * dv * b + dw * dw * cc


def smooth_noise(rng, shape, coarse):
    """Low-frequency noise, unit-ish amplitude: coarse Gaussian grid, linear upsampling."""
    cz, cy, cx = coarse
    g = rng.standard_normal((cz + 1, cy + 1, cx + 1)).astype(np.float32)
    for axis, (n, c) in enumerate(zip(shape, coarse)):
        pos = (np.arange(n, dtype=np.float32) + 0.5) * (c / n)
        i0 = np.minimum(pos.astype(np.int64), c - 1)
        f = (pos - i0).astype(np.float32)
        a = np.take(g, i0, axis=axis)
        b = np.take(g, i0 + 1, axis=axis)
        sh = [1, 1, 1]
        sh[axis] = n
        f = f.reshape(sh)
        g = a * (1 - f) + b * f
    return g


def blur_inplane(vol):
    """Separable [1,2,1]/4 blur in x and y (partial-volume softening)."""
    out = vol * 0.5
    out[:, :, 1:] += vol[:, :, :-1] * 0.25
    out[:, :, :-1] += vol[:, :, 1:] * 0.25
    out[:, :, 0] += vol[:, :, 0] * 0.25
    out[:, :, -1] += vol[:, :, -1] * 0.25
    res = out * 0.5
    res[:, 1:, :] += out[:, :-1, :] * 0.25
    res[:, :-1, :] += out[:, 1:, :] * 0.25
    res[:, 0, :] += out[:, 0, :] * 0.25
    res[:, -1, :] += out[:, -1, :] * 0.25
    return res


# ---------------------------------------------------------------------------
# study generation

def _bleeds(rng, g, head, brain_inside, ventricles, voxel_ml):
    """Draw 1-3 bleeds; returns (mask bool, list of (mask, hu_mean))."""
    a, b, c, thick = head["a"], head["b"], head["c"], head["skull"]
    ia, ib, ic = a - thick, b - thick, c - thick          # inner table
    total_ml = rng.uniform(5.0, 60.0)
    n = int(rng.choice([1, 2, 3], p=[0.6, 0.3, 0.1]))
    shares = rng.dirichlet(np.full(n, 2.0)) if n > 1 else np.array([1.0])
    parts = []
    for k in range(n):
        v_ml = max(2.0, total_ml * shares[k])
        kind = rng.choice(["iph", "sdh", "ivh"], p=[0.5, 0.38, 0.12])
        if kind == "ivh" and v_ml > 10.0:
            kind = "iph"
        if kind == "iph":
            r = (3.0 * v_ml * 1000.0 / (4.0 * math.pi)) ** (1.0 / 3.0)
            # centre inside the brain, away from the inner table
            for _ in range(50):
                p = rng.uniform(-1, 1, size=3)
                if np.sum(p * p) <= 1.0:
                    break
            lim = np.array([ia, ib, ic]) - r * 0.8
            lim = np.maximum(lim, 5.0)
            cen = p * lim * 0.85
            lo = -head["zc"] + 0.5 * r + 5.0               # keep it inside the scanned range
            cen[2] = float(np.clip(cen[2], lo, max(lo, ic - r)))
            rot = random_rotation(rng)
            axes = r * rng.uniform(0.7, 1.3, size=3)
            axes *= r / np.prod(axes) ** (1.0 / 3.0)       # keep volume
            m = g.ellipsoid_r2(cen, axes, rot) <= 1.0
            for _ in range(int(rng.integers(0, 4))):        # lobulations
                off = rng.normal(size=3)
                off = off / np.linalg.norm(off) * r * rng.uniform(0.5, 0.9)
                la = r * rng.uniform(0.35, 0.65) * rng.uniform(0.8, 1.2, size=3)
                m |= g.ellipsoid_r2(cen + rot @ off, la, rot) <= 1.0
            m &= brain_inside
        elif kind == "sdh":
            # crescent along the inner table, thickest at direction d
            ang = rng.uniform(0, 2 * math.pi)
            d = np.array([math.cos(ang), math.sin(ang) * 0.8, rng.uniform(-0.1, 0.6)])
            d /= np.linalg.norm(d)
            # lens profile: volume ~ cap area * tmax * 2/3; the extent follows the volume
            rmean = (ia + ib + ic) / 3.0
            tmax = rng.uniform(8.0, 16.0)
            cap_area = 1.5 * v_ml * 1000.0 / tmax
            half = math.acos(float(np.clip(1.0 - cap_area / (2 * math.pi * rmean * rmean), -1.0, 1.0)))
            half = float(np.clip(half, math.radians(15), math.radians(60)))
            r2 = (g.u / ia) ** 2 + (g.v / ib) ** 2 + (g.w / ic) ** 2
            rr = np.sqrt(r2)
            depth = (1.0 - rr) * rmean                      # mm below inner table
            norm = np.maximum(np.sqrt(g.u ** 2 + g.v ** 2 + g.w ** 2), 1e-3)
            cosang = (g.u * d[0] + g.v * d[1] + g.w * d[2]) / norm
            taper = 1.0 - (1.0 - cosang) / (1.0 - math.cos(half))
            # lens-shaped profile (sqrt): blunt edges, no sub-voxel-thin tails
            m = (depth >= 0) & (depth < tmax * np.sqrt(np.clip(taper, 0, 1))) & (taper > 0)
        else:  # intraventricular: dependent (posterior, +y) part of ventricles
            vm = ventricles & brain_inside
            cnt = int(vm.sum())
            if cnt == 0:
                continue
            level = np.sort(g.v[vm])[::-1]
            need = int(min(cnt, max(1, round(v_ml / voxel_ml))))
            m = vm & (g.v >= level[need - 1])
        if m.any():
            parts.append((m, rng.uniform(55.0, 82.0)))
    mask = np.zeros(g.shape, dtype=bool)
    for m, _ in parts:
        mask |= m
    return mask, parts


def generate_study(seed, index, positive, slices=32, size=256):
    """Return dict with 'hu' (int16 z,y,x), 'mask' (uint8), 'spacing' (x,y,z)."""
    rng = np.random.default_rng([seed, index])
    sx, sy, sz = spacing_for(slices, size)
    voxel_ml = sx * sy * sz / 1000.0
    head = {
        "a": rng.uniform(68, 77),      # left-right semi-axis (mm), outer table
        "b": rng.uniform(86, 97),      # antero-posterior
        "c": rng.uniform(82, 92),      # cranio-caudal
        "skull": rng.uniform(5.0, 8.0),
    }
    center = (rng.uniform(-8, 8), rng.uniform(-10, 10), rng.uniform(45, 60))
    head["zc"] = center[2]
    rot = rotation_matrix(rng, 10.0, 4.0)
    g = Grid(slices, size, center, rot)
    a, b, c, t = head["a"], head["b"], head["c"], head["skull"]
    scalp = rng.uniform(3.0, 6.0)

    r_scalp = g.ellipsoid_r2((0, 0, 0), (a + scalp, b + scalp, c + scalp))
    r_outer = g.ellipsoid_r2((0, 0, 0), (a, b, c))
    r_inner = g.ellipsoid_r2((0, 0, 0), (a - t, b - t, c - t))
    csf_rim = rng.uniform(1.0, 2.5)
    r_brain = g.ellipsoid_r2((0, 0, 0), (a - t - csf_rim, b - t - csf_rim, c - t - csf_rim))
    r_white = g.ellipsoid_r2((0, 4, 8), ((a - t) * 0.72, (b - t) * 0.72, (c - t) * 0.62))

    shape = g.shape
    vol = np.full(shape, -1000.0, dtype=np.float32)
    in_scalp = r_scalp <= 1.0
    vol[in_scalp] = rng.uniform(20, 50)                       # soft tissue
    in_outer = r_outer <= 1.0
    bone = smooth_noise(rng, shape, (4, 12, 12))
    bone_base = rng.uniform(900, 1300)
    vol[in_outer] = (bone_base + 180.0 * bone)[in_outer]      # ~700-1500 HU
    inside = r_inner <= 1.0
    vol[inside] = rng.uniform(3, 9)                           # CSF rim / sulci
    brain = r_brain <= 1.0
    gray = rng.uniform(34, 42)
    white = gray - rng.uniform(6, 10)
    tex = smooth_noise(rng, shape, (6, 24, 24)) * rng.uniform(1.5, 3.0)
    tex += smooth_noise(rng, shape, (12, 64, 64)) * rng.uniform(1.0, 2.0)
    wm = np.clip((1.0 - r_white) * 4.0, 0.0, 1.0)            # soft grey/white boundary
    bval = gray * (1 - wm) + white * wm + tex
    vol[brain] = bval[brain]

    # lateral ventricles (paired), third ventricle
    vx = rng.uniform(7, 11)
    vy = rng.uniform(-6, 4)
    vz = rng.uniform(12, 24)
    va = (rng.uniform(4, 7), rng.uniform(20, 27), rng.uniform(8, 13))
    vent = np.zeros(shape, dtype=bool)
    for sgn in (-1, 1):
        vent |= g.ellipsoid_r2((sgn * vx, vy, vz), va) <= 1.0
    vent |= g.ellipsoid_r2((0, vy + 4, vz - 14), (1.8, 10, 6)) <= 1.0
    vent &= brain
    vol[vent] = rng.uniform(2, 9)

    mask = np.zeros(shape, dtype=bool)
    if positive:
        for _ in range(20):
            mask, parts = _bleeds(rng, g, head, inside, vent, voxel_ml)
            if mask.sum() * voxel_ml >= 4.0:
                break
        clot = smooth_noise(rng, shape, (8, 32, 32))
        for m, hu in parts:
            vol[m] = (hu + 4.0 * clot)[m]

    vol = blur_inplane(vol)
    sigma = rng.uniform(5.0, 10.0)
    vol += rng.standard_normal(shape, dtype=np.float32) * np.float32(sigma)
    vol = np.clip(np.rint(vol), HU_MIN, HU_MAX).astype(np.int16)
    volume_ml = float(mask.sum()) * voxel_ml if positive else 0.0
    return {
        "hu": vol,
        "mask": mask.astype(np.uint8),
        "spacing": (sx, sy, sz),
        "hemorrhage": bool(positive and mask.any()),
        "volume_ml": volume_ml,
        "noise_sigma": sigma,
    }


def positives_for(seed, studies, fraction):
    n_pos = int(round(fraction * studies))
    perm = np.random.default_rng([seed, 1_000_003]).permutation(studies)
    pos = np.zeros(studies, dtype=bool)
    pos[perm[:n_pos]] = True
    return pos


# ---------------------------------------------------------------------------
# DICOM output

def write_dicom_series(folder, study, seed, index, meta):
    import pydicom
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import UID

    os.makedirs(folder, exist_ok=True)
    hu = study["hu"]
    nz, ny, nx = hu.shape
    sx, sy, sz = study["spacing"]
    rng = np.random.default_rng([seed, index, 7])
    birth = datetime.date(1940, 1, 1) + datetime.timedelta(days=int(rng.integers(0, 365 * 60)))
    sex = "F" if rng.random() < 0.5 else "M"
    sdate = datetime.date(2024, 1, 1) + datetime.timedelta(days=(seed * 131 + index) % 365)
    stime = "%02d%02d%02d" % (int(rng.integers(0, 24)), int(rng.integers(0, 60)), int(rng.integers(0, 60)))
    x0 = -FOV_MM / 2 + sx / 2
    y0 = -FOV_MM / 2 + sy / 2
    for k in range(nz):
        sop_uid = uid_for(seed, index, "sop", k + 1)
        fm = FileMetaDataset()
        fm.MediaStorageSOPClassUID = UID(CT_IMAGE_STORAGE)
        fm.MediaStorageSOPInstanceUID = UID(sop_uid)
        fm.TransferSyntaxUID = UID(EXPLICIT_VR_LE)
        fm.ImplementationClassUID = UID(IMPLEMENTATION_UID)
        fm.ImplementationVersionName = IMPLEMENTATION_VERSION
        ds = Dataset()
        ds.file_meta = fm
        ds.is_little_endian = True
        ds.is_implicit_VR = False
        ds.SpecificCharacterSet = "ISO_IR 100"
        ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
        ds.SOPClassUID = CT_IMAGE_STORAGE
        ds.SOPInstanceUID = sop_uid
        ds.StudyDate = sdate.strftime("%Y%m%d")
        ds.SeriesDate = ds.StudyDate
        ds.AcquisitionDate = ds.StudyDate
        ds.ContentDate = ds.StudyDate
        ds.StudyTime = stime
        ds.SeriesTime = stime
        ds.AcquisitionTime = stime
        ds.ContentTime = stime
        ds.AccessionNumber = meta["accession"]
        ds.Modality = "CT"
        ds.Manufacturer = MANUFACTURER
        ds.InstitutionName = "RADBRIDGE SYNTHETIC"
        ds.ReferringPhysicianName = ""
        ds.StudyDescription = "CT HEAD WO CONTRAST"
        ds.SeriesDescription = "HEAD NON-CONTRAST"
        ds.ManufacturerModelName = "synth_ct"
        ds.PatientName = "SYNTHETIC^CASE%d" % index
        ds.PatientID = meta["patient_id"]
        ds.PatientBirthDate = birth.strftime("%Y%m%d")
        ds.PatientSex = sex
        ds.BodyPartExamined = "HEAD"
        ds.SliceThickness = ds_str(sz)
        ds.KVP = "120"
        ds.SpacingBetweenSlices = ds_str(sz)
        ds.SoftwareVersions = "synth_ct 1.0"
        ds.PatientPosition = "HFS"
        ds.StudyInstanceUID = meta["study_uid"]
        ds.SeriesInstanceUID = meta["series_uid"]
        ds.StudyID = "S%d" % index
        ds.SeriesNumber = 2
        ds.AcquisitionNumber = 1
        ds.InstanceNumber = k + 1
        z = (k + 0.5) * sz
        ds.ImagePositionPatient = [ds_str(x0), ds_str(y0), ds_str(z)]
        ds.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
        ds.FrameOfReferenceUID = meta["frame_uid"]
        ds.PositionReferenceIndicator = ""
        ds.SliceLocation = ds_str(z)
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.Rows = ny
        ds.Columns = nx
        ds.PixelSpacing = [ds_str(sy), ds_str(sx)]   # row spacing (y), column spacing (x)
        ds.BitsAllocated = 16
        ds.BitsStored = 16
        ds.HighBit = 15
        ds.PixelRepresentation = 1
        ds.WindowCenter = "40"
        ds.WindowWidth = "80"
        ds.RescaleIntercept = "0"
        ds.RescaleSlope = "1"
        ds.RescaleType = "HU"
        ds.PixelData = np.ascontiguousarray(hu[k]).astype("<i2").tobytes()
        path = os.path.join(folder, "IM%04d.dcm" % (k + 1))
        pydicom.dcmwrite(path, ds, write_like_original=False)


# ---------------------------------------------------------------------------

def study_meta(seed, i):
    return {
        "study_uid": uid_for(seed, i, "study"),
        "series_uid": uid_for(seed, i, "series"),
        "frame_uid": uid_for(seed, i, "frame"),
        "accession": accession_for(seed, i),
        "patient_id": "SYNP-%d-%d" % (seed, i),
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description="Synthetic non-contrast head CT generator")
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--studies", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--slices", type=int, default=32)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--hemorrhage-fraction", type=float, default=0.5)
    ap.add_argument("--format", choices=["dicom", "npz"], default="dicom")
    args = ap.parse_args(argv)
    if args.studies < 0 or args.slices < 1 or args.size < 16 or not 0.0 <= args.hemorrhage_fraction <= 1.0:
        ap.error("invalid --studies/--slices/--size/--hemorrhage-fraction")
    os.makedirs(args.out, exist_ok=True)
    pos = positives_for(args.seed, args.studies, args.hemorrhage_fraction)
    truth = []
    for i in range(args.studies):
        st = generate_study(args.seed, i, bool(pos[i]), args.slices, args.size)
        meta = study_meta(args.seed, i)
        folder = "study-%03d" % i
        if args.format == "dicom":
            write_dicom_series(os.path.join(args.out, folder), st, args.seed, i, meta)
        else:
            np.savez(os.path.join(args.out, folder + ".npz"), hu=st["hu"], mask=st["mask"],
                     spacing=np.array(st["spacing"], dtype=np.float64))
        truth.append({
            "folder": folder,
            "study_uid": meta["study_uid"],
            "series_uid": meta["series_uid"],
            "accession": meta["accession"],
            "patient_id": meta["patient_id"],
            "hemorrhage": st["hemorrhage"],
            "volume_ml": round(st["volume_ml"], 3),
            "slices": args.slices,
            "size": args.size,
            "spacing_mm": [round(v, 6) for v in st["spacing"]],
        })
    with open(os.path.join(args.out, "truth.json"), "w") as f:
        json.dump(truth, f, indent=1)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
