"""Read-modify-write of models/registry.json (one entry per model id)."""

import fcntl
import hashlib
import json
import os

MODELS_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
REGISTRY = os.path.join(MODELS_DIR, "registry.json")
ORDER = ["ich_classifier", "ich_segmentation"]


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load():
    if os.path.exists(REGISTRY):
        with open(REGISTRY) as f:
            return json.load(f)
    return {"models": []}


def update_entry(entry):
    """Insert or replace the entry with the same id; sha256 is computed from the file."""
    entry = dict(entry)
    entry["sha256"] = sha256_file(os.path.join(MODELS_DIR, entry["file"]))
    keys = ["id", "version", "file", "sha256", "accepts", "input", "output", "threshold"]
    entry = {k: entry[k] for k in keys}
    with open(REGISTRY + ".lock", "w") as lk:       # two trainers may finish together
        fcntl.flock(lk, fcntl.LOCK_EX)
        _write(entry)
    try:
        os.unlink(REGISTRY + ".lock")
    except OSError:
        pass
    return entry


def _write(entry):
    reg = load()
    models = [m for m in reg["models"] if m["id"] != entry["id"]] + [entry]
    models.sort(key=lambda m: (ORDER.index(m["id"]) if m["id"] in ORDER else len(ORDER), m["id"]))
    reg["models"] = models
    tmp = REGISTRY + ".tmp"
    with open(tmp, "w") as f:
        json.dump(reg, f, indent=2)
        f.write("\n")
    os.replace(tmp, REGISTRY)
