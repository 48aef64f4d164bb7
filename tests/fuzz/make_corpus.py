#!/usr/bin/env python3
"""Regenerates the seed corpora in tests/fuzz/corpus/: hl7, mllp, json,
mapping and dicom (all of them, or those named on the command line).

fuzz_hl7 (corpus/hl7):

fuzz_hl7 reads its input as a byte stream whose first four bytes pick the
feed() chunk sizes and framer options (see fuzz_hl7.cpp); they are garbage
outside any frame as far as the framer is concerned. So a seed is either a
bare file (raw_*: parsed as a message and as a batch, no frames) or 4 prefix
bytes followed by MLLP frames (mllp_*), or a hand-written edge case (edge_*).
fuzz_mllp (corpus/mllp): a settings byte (see fuzz_mllp.cpp) and MLLP
frames: sample orders and updates (stored), and hostile corpus frames.
fuzz_json (corpus/json): the repository's JSON files and edge cases.
fuzz_mapping (corpus/mapping): each mapping file with the destinations.
fuzz_dicom (corpus/dicom): a 2-3 slice 16x16 synthetic CT series
(models/train/synth_ct.py) in each transfer syntax the decoder reads,
transcoded with DCMTK's tools; needs Debian's /usr/bin/python3 (pydicom).
Run from anywhere: python3 tests/fuzz/make_corpus.py [hl7|mllp|json|mapping|dicom ...]
"""
import copy
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SAMPLES = ROOT / "samples" / "hl7"
OUT = HERE / "corpus" / "hl7"

VT, FS, CR = b"\x0b", b"\x1c", b"\x0d"

# Prefixes: chunk sizes (bytes 0..3, 0 = the rest at once), byte 1 bit 0 =
# lenient end, byte 2 bit 0 = small max_frame_bytes (1 + byte 3).
ONE_SHOT = b"\x00\x00\x00\x00"
SMALL_CHUNKS = b"\x01\x02\x04\x08"
MIXED_CHUNKS = b"\x07\x10\x20\x40"
LENIENT = b"\x05\x01\x00\x30"
TINY_MAX = b"\x10\x00\x01\x80"  # max_frame_bytes = 129

RAW = [
    "adt_a01_admit_stroke_unit.hl7",
    "adt_a04_charset_utf8.hl7",
    "adt_a08_charset_8859_1.hl7",
    "adt_a08_custom_delims_bang.hl7",
    "adt_a08_escaped_address.hl7",
    "adt_a31_update_person_zpi.hl7",
    "batch_adt_nightly.hl7",
    "batch_oru_r01_ai_results.hl7",
    "orm_o01_custom_delims_hash.hl7",
    "orm_o01_escapes_in_notes.hl7",
    "oru_r01_escape_sequences_report.hl7",
    "oru_r01_v27_truncation_char.hl7",
    "oru_r01_cta_lvo_ai_result.hl7",
    "line_endings/orm_o01_ct_head_crlf.hl7",
    "line_endings/orm_o01_ct_head_lf.hl7",
    "malformed/bad_encoding_chars.hl7",
    "malformed/bad_escape.hl7",
    "malformed/bad_segment_name.hl7",
    "malformed/bad_segment_name_lowercase.hl7",
    "malformed/missing_msh.hl7",
    "malformed/unknown_charset.hl7",
    "malformed/xml_encoded.xml",
]

# (seed name, prefix, sample files framed one after the other)
MLLP = [
    ("adt_a04_register_ed_walkin", ONE_SHOT, ["adt_a04_register_ed_walkin.hl7"]),
    ("adt_a08_update_allergy", SMALL_CHUNKS, ["adt_a08_update_allergy.hl7"]),
    ("adt_a04_charset_utf8", MIXED_CHUNKS, ["adt_a04_charset_utf8.hl7"]),
    ("adt_a08_charset_8859_1", ONE_SHOT, ["adt_a08_charset_8859_1.hl7"]),
    ("custom_delims", MIXED_CHUNKS, ["orm_o01_custom_delims_hash.hl7", "adt_a08_custom_delims_bang.hl7"]),
    ("escapes", SMALL_CHUNKS, ["oru_r01_escape_sequences_report.hl7", "orm_o01_escapes_in_notes.hl7"]),
    ("oru_r01_v27_truncation_char", ONE_SHOT, ["oru_r01_v27_truncation_char.hl7"]),
    ("oru_r01_ct_head_stroke_ai", LENIENT, ["oru_r01_ct_head_stroke_ai.hl7"]),
    ("orm_o01_ct_head_lf", MIXED_CHUNKS, ["line_endings/orm_o01_ct_head_lf.hl7"]),
    ("batch_oru_r01_ai_results", ONE_SHOT, ["batch_oru_r01_ai_results.hl7"]),
    ("orm_o01_mr_brain_change_xo", TINY_MAX, ["orm_o01_mr_brain_change_xo.hl7", "orm_o01_xr_chest_cancel.hl7"]),
    ("three_orders", MIXED_CHUNKS,
     ["orm_o01_cta_head_neck.hl7", "orm_o01_xr_chest_2v_pa_lat.hl7", "orm_o01_mr_brain_sc_complete.hl7"]),
    ("malformed_bad_escape", SMALL_CHUNKS, ["malformed/bad_escape.hl7"]),
    ("malformed_unknown_charset", ONE_SHOT, ["malformed/unknown_charset.hl7"]),
    ("malformed_bad_encoding_chars", ONE_SHOT, ["malformed/bad_encoding_chars.hl7"]),
    ("malformed_missing_msh", MIXED_CHUNKS, ["malformed/missing_msh.hl7"]),
    ("malformed_bad_segment_name", ONE_SHOT, ["malformed/bad_segment_name_lowercase.hl7"]),
    ("adt_a31_update_person_zpi", SMALL_CHUNKS, ["adt_a31_update_person_zpi.hl7"]),
]


def frame(payload: bytes) -> bytes:
    return VT + payload + FS + CR


MSH = b"MSH|^~\\&|SND|SFAC|RCV|RFAC|20261123125600||ORU^R01|CTRL1|P|2.5"

# Hand-written edge cases: name -> bytes.
EDGE = {
    # Custom delimiters, including the v2.7 truncation character.
    "edge_custom_delims": ONE_SHOT + frame(
        b"MSH*%$!@*A*B*C*D*20260101**ADT%A08*X1*P*2.5\rPID*1**1%%%H%MR$2%%%H%MR**DOE%JOHN!X\rNTE*1**a!F!b!S!c!T!d!R!e!E!\r"),
    "edge_truncation_char": ONE_SHOT + frame(
        b"MSH|^~\\&#|A|B|C|D|20260101||ORU^R01|X2|P|2.7\rOBX|1|ST|T||cut here#|\\P\\\r"),
    # Every escape the codec knows, hex escapes in UTF-8 and Latin-1.
    "edge_escapes": ONE_SHOT + frame(
        MSH + b"||||||UNICODE UTF-8\rOBX|1|FT|E||\\F\\\\S\\\\T\\\\R\\\\E\\\\X0D\\\\XC3A9\\\\H\\b\\N\\\\.br\\\\.sp2\\\\.in-4\\"
        b"\\.ti+1\\\\.sk3\\\\.ce\\\\.fi\\\\.nf\\\\C2842\\\\M2442\\\\Zabc\\||\r"),
    "edge_latin1": ONE_SHOT + frame(MSH + b"||||||8859/1\rPID|1||\xe9\xe8||M\xfcller\\XE9\\\r"),
    "edge_bad_escapes": ONE_SHOT + frame(MSH + b"\rOBX|1|ST|E||\\X0\\|\\Q\\|\\unterminated\r")
    + frame(MSH + b"\rOBX|1|ST|E||\\XZZ\\\r"),
    # Batch file with envelope and counts, raw and framed.
    "edge_batch_raw": b"FHS|^~\\&|A|B|C|D|20260101||f.hl7||F1\rBHS|^~\\&|A|B|C|D|20260101||B||B1\r"
    + MSH + b"\rPID|1\r" + MSH.replace(b"CTRL1", b"CTRL2") + b"\rBTS|2\rFTS|1\r",
    "edge_batch_bad_count": b"BHS|^~\\&|A|B\r" + MSH + b"\rBTS|5\r",
    # Framing: garbage between frames, a lone 0x1C, 0x0B restart, split CR.
    "edge_garbage_between": b"\x03\x05\x02\x09" + b"junk\r\n" + frame(MSH + b"\r") + b"\x1c\rnoise\x0d\x1c"
    + frame(MSH.replace(b"CTRL1", b"CTRL2") + b"\rPID|1\r") + b"\x00\xff",
    "edge_1c_without_cr": b"\x02\x01\x00\x07" + VT + MSH + b"\r" + FS + VT + MSH + b"\r" + FS + b"X" + frame(MSH + b"\r"),
    "edge_1c_without_cr_strict": b"\x02\x00\x00\x07" + VT + MSH + b"\r" + FS + VT + MSH + b"\r" + FS + CR,
    "edge_restart_and_partial": b"\x04\x00\x00\x00" + VT + b"MSH|^~\\&|half" + VT + MSH + b"\r" + FS + CR + VT + b"MSH|^~",
    "edge_too_large": TINY_MAX + frame(MSH + b"\rOBX|1|TX|T||" + b"x" * 300 + b"\r") + frame(MSH + b"\r"),
    # Header oddities: no MSH-9/10, MSH-18 repetition, an ACK (no ACK for it).
    "edge_missing_fields": ONE_SHOT + frame(b"MSH|^~\\&|A|B|C|D|20260101||^X|\r") + frame(b"MSH|^~\\&\r"),
    "edge_ack": ONE_SHOT + frame(b"MSH|^~\\&|A|B|C|D|20260101||ACK^R01|A1|P|2.5|||AL|NE\rMSA|AA|CTRL1\r"),
    "edge_no_msh_garbage": ONE_SHOT + frame(b"\r\n  PID|1||x\r") + frame(b"") + frame(b"<hl7/>"),
    # Regressions found by fuzz_hl7: NAKs for headers the parser rejects
    # (bad escape in MSH-3, invalid byte in MSH-10, unknown MSH-18, a
    # non-UTF-8 segment name) must still parse.
    "edge_nak_bad_header_fields": ONE_SHOT + frame(b"MSH|^~\\&|A\\Q\\|B|C|D|1||ADT^A01|X|P|2.5\r")
    + frame(b"MSH|^~\\&|A|B|C|D|1||ADT^A01|X\xff|P|2.5\r")
    + frame(b"MSH|^~\\&|A|B|C|D|1||ADT^A01|X|P|2.5||||||KLINGON\r")
    + frame(b"MSH|^~\\&|A|B|C|D|1||ADT^A01|X|P|2.5\r\xc3\r"),
    # Unusable MSH-2 (repeated characters; a field separator that is one of
    # the default delimiters), non-ASCII and NUL delimiters.
    "edge_nak_bad_delimiters": ONE_SHOT + frame(b"MSH|^^\\&|A|B|C|D|1||ADT^A01|X|P|2.5\r")
    + frame(b"MSH^xx^A^B^C^D^1^^ADT^X\r") + frame(b"MSH|\xde~\\&|A|B|C|D|1||ADT|X|P|2.5\r")
    + frame(b"MSH|^~\\\x00|A|B|C|D|1||ADT^A01|X|P|2.5\r"),
    # Regressions found by the hostile corpus and fuzz_mllp: two messages in
    # one frame, a BHS inside a message, NUL bytes (key fields, a kept escape,
    # a segment name), blanks before MSH.
    "edge_two_messages_one_frame": ONE_SHOT + frame(MSH + b"\rPID|1\r" + MSH.replace(b"CTRL1", b"CTRL2") + b"\r")
    + frame(MSH + b"\rBHS|^~\\&|A\r"),
    "edge_nul_bytes": ONE_SHOT + frame(MSH.replace(b"CTRL1", b"CT\x00L1") + b"\r") + frame(MSH + b"\rNTE|1||\\Z\x00\\\r")
    + frame(MSH + b"\r\x00\x00\x00|1\r"),
    "edge_leading_blanks": ONE_SHOT + frame(b" \t" + MSH + b"\r") + frame(b"\r\n\t" + MSH + b"\rPID|1\r"),
    # Bytes inside a kept escape (\Zxx\) are text in the message's charset.
    "edge_z_escape_bytes": ONE_SHOT + frame(MSH + b"\rNTE|1||\\Z\xdf\\\r")
    + frame(MSH + b"||||||8859/1\rNTE|1||\\Z\xe9\\\r") + frame(MSH + b"||||||UNICODE UTF-8\rNTE|1||\\Z\xc3\xa9\\\r"),
}


def fresh(folder: Path) -> Path:
    """Empties a corpus folder for its generator, keeping the finding-* seeds
    (fixed fuzz findings moved there from ../findings/: no generator makes them)."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        if not old.name.startswith("finding-"):
            old.unlink()
    return folder


def report(folder: Path) -> None:
    files = sorted(folder.iterdir())
    print(f"{len(files)} seeds, {sum(f.stat().st_size for f in files)} bytes in {folder.relative_to(ROOT)}")


def make_hl7() -> None:
    fresh(OUT)
    for name in RAW:
        data = (SAMPLES / name).read_bytes()
        (OUT / ("raw_" + Path(name).stem)).write_bytes(data)
    for name, prefix, files in MLLP:
        data = prefix + b"".join(frame((SAMPLES / f).read_bytes()) for f in files)
        (OUT / ("mllp_" + name)).write_bytes(data)
    for name, data in EDGE.items():
        (OUT / name).write_bytes(data)
    # Regression: a lone 0x1C in MSH-10 (with 8859/1 bytes) ended peek_msh
    # there, so the ACK lost MSH-18 and echoed another MSA-2.
    latin1 = (SAMPLES / "adt_a08_charset_8859_1.hl7").read_bytes()
    (OUT / "regression_lone_1c_in_control_id").write_bytes(
        latin1.replace(b"|EPC20240320141516802|", b"|EPC2\xb4\xb4\x1c\xbf802|", 1))
    report(OUT)


# ---------------------------------------------------------------- fuzz_mllp

# Settings bytes (fuzz_mllp.cpp): bits 0-1 ack mode, 2 lenient end, 3 small
# max_frame_bytes (64 + the next byte), 4 every type, 5 two versions, 6 reject
# conflicts, 7 a client certificate allowed to send as some senders only.
MLLP_SAMPLES = [
    (b"\x00", ["orm_o01_ct_head_noncontrast_stroke.hl7"]),
    (b"\x01", ["adt_a08_update_allergy.hl7", "oru_r01_ct_head_stroke_ai.hl7"]),
    (b"\x02", ["orm_o01_custom_delims_hash.hl7"]),
    (b"\x04", ["adt_a08_charset_8859_1.hl7"]),
    (b"\x10", ["orm_o01_xr_chest_cancel.hl7", "adt_a31_update_person_zpi.hl7"]),
    (b"\x20", ["oru_r01_v27_truncation_char.hl7"]),
    (b"\x40", ["adt_a04_charset_utf8.hl7"]),
    # A client certificate that may send only as RIS or EPIC from GENHOSP:
    # the first is allowed, the others are refused at MSH-3 and at MSH-4.
    (b"\x80", ["adt_a04_register_ed_walkin.hl7", "oru_r01_ct_head_stroke_ai.hl7", "orm_o01_mr_brain_sc_complete.hl7"]),
]
HOSTILE = ROOT / "tests" / "hostile" / "cases"


def make_mllp() -> None:
    out = fresh(HERE / "corpus" / "mllp")
    for prefix, files in MLLP_SAMPLES:
        data = prefix + b"".join(frame((SAMPLES / f).read_bytes()) for f in files)
        (out / ("sample_" + Path(files[0]).stem)).write_bytes(data)
    # Small hostile frames, each under another setting.
    frames = sorted(p for p in HOSTILE.glob("*.frame") if p.stat().st_size <= 1024)
    settings = [b"\x00", b"\x01", b"\x02", b"\x08\x40", b"\x10", b"\x20", b"\x42"]
    for i, p in enumerate(frames):
        (out / ("hostile_" + p.stem)).write_bytes(settings[i % len(settings)] + frame(p.read_bytes()))
    for p in sorted(HOSTILE.glob("*.stream")):
        if 0 < p.stat().st_size <= 1024:
            (out / ("hostile_" + p.stem)).write_bytes(b"\x04" + p.read_bytes())
    # Regression: blanks before MSH (the ACK of a stored message had an empty MSA-2).
    (out / "regression_leading_blanks").write_bytes(
        b"\x00" + frame(b" \t" + MSH.replace(b"ORU^R01", b"ORM^O01") + b"\rPID|1\r"))
    report(out)


# ---------------------------------------------------------------- fuzz_json

JSON_EDGE = {
    "edge_scalars": b'[null, true, false, 0, -0, 1.5e3, -2.25E-2, 9223372036854775807, 9223372036854775808, 1e308, 5e-324]',
    "edge_strings": b'{"a": "\\u00e9\\u0000\\ud83d\\ude00", "\\t": "\\"\\\\/\\b\\f\\n\\r\\t", "\xc3\xa9": "\xf0\x9f\x98\x80"}',
    "edge_comments": b'// a comment\n{"a": 1, /* inline */ "b": [1, 2]}\n',
    "edge_bom_crlf": b'\xef\xbb\xbf{\r\n  "a": [\r\n    1,\r    2\n  ]\r\n}',
    "edge_deep": b"[" * 70 + b"]" * 70,
    "edge_duplicate_key": b'{"code": 1, "code": 2}',
    "edge_trailing_comma": b'{"a": [1, 2,], }',
    "edge_bad_literal": b'{"a": nul, "b": True}',
    "edge_huge_number": b'[1e400, -1e400, 123456789012345678901234567890]',
    "edge_bad_utf8": b'{"a": "\xc3\x28 \xed\xa0\x80"}',
    "edge_empty": b'',
    "edge_empty_containers": b'{"a": {}, "b": [], "c": [{}, [[]]]}',
    # Regression: a lone low surrogate escape decoded to bytes that are not UTF-8.
    "regression_lone_low_surrogate": b'{"k\\udc00": ["a\\uDFFF", "\\ud83d\\ude00"]}',
}


def make_json() -> None:
    out = fresh(HERE / "corpus" / "json")
    for p in [ROOT / "models" / "registry.json", ROOT / "samples" / "config" / "radbridge.json",
              *sorted((ROOT / "mappings").glob("*.json"))]:
        (out / ("file_" + p.stem)).write_bytes(p.read_bytes())
    for name, data in JSON_EDGE.items():
        (out / name).write_bytes(data)
    report(out)


# ---------------------------------------------------------------- fuzz_mapping

def make_mapping() -> None:
    out = fresh(HERE / "corpus" / "mapping")
    destinations = json.loads((ROOT / "mappings" / "destinations.json").read_text())["destinations"]
    for p in sorted((ROOT / "mappings").glob("*.json")) + sorted((ROOT / "samples" / "mappings").glob("*.json")):
        doc = json.loads(p.read_text())
        if "routes" in doc and p.parent.name == "mappings" and p.parent.parent == ROOT:
            doc["destinations"] = destinations
        (out / ("file_" + p.stem)).write_text(json.dumps(doc, indent=1) + "\n")
    # A route with a series description pattern and every kind of condition.
    route = json.loads((ROOT / "mappings" / "stroke_ct_head.json").read_text())["routes"][0]
    route["name"] = "conditions"
    route["match"] = {"any": [{"all": [{"path": "MSH-9.1", "equals": "ORM"}, {"path": "OBR-4.1", "prefix": "CT"}]},
                              {"not": {"path": "PID-3[2].1", "exists": True}},
                              {"path": "OBR-24", "in": ["CT", "MR"], "ignore_case": True}]}
    route["series"]["description"] = "^(axial|ax).*(thin|1\\.?[0-9]* ?mm)"
    (out / "conditions").write_text(json.dumps({"routes": [route], "destinations": destinations}, indent=1) + "\n")
    def regression(name, change) -> None:
        """The route above with one change, as seed regression_NAME."""
        r = copy.deepcopy(route)
        r["name"] = name
        change(r)
        (out / ("regression_" + name)).write_text(
            json.dumps({"routes": [r], "destinations": destinations}, indent=1) + "\n")

    def key_with_newline(r) -> None:
        finding = r["findings"][0]
        finding["abs\nt"] = finding.pop("absent")
        r["findings"] = [finding]

    def description(pattern):
        def change(r) -> None:
            r["series"]["description"] = pattern
        return change

    # A key with an escaped newline made a problem of two lines (not file:line:col each).
    regression("key_with_newline", key_with_newline)
    # std::regex overflowed a signed integer reading a huge repetition count, then a huge back-reference.
    regression("huge_repetition", description("ax(1{6,66666666666666666666})"))
    regression("huge_backreference", description("ax(1)\\22222222222222224222"))
    report(out)


# ---------------------------------------------------------------- fuzz_dicom

SEPARATOR = b"\n--radbridge-next-instance--\n"
# (seed name, DCMTK command and options, or None for the generator's explicit little endian)
TRANSCODES = [
    ("explicit_le", None),
    ("implicit_le", ["dcmconv", "+ti"]),
    ("big_endian", ["dcmconv", "+tb"]),
    ("deflated", ["dcmconv", "+td"]),
    ("rle", ["dcmcrle"]),
    ("jpeg_lossless", ["dcmcjpeg", "+e1"]),
    ("jpeg_ls", ["dcmcjpls"]),
]


def make_dicom() -> None:
    out = fresh(HERE / "corpus" / "dicom")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        subprocess.run(["/usr/bin/python3", str(ROOT / "models" / "train" / "synth_ct.py"), "--seed", "15", "--studies",
                        "1", "--out", str(tmp / "gen"), "--slices", "3", "--size", "16"], check=True)
        slices = sorted((tmp / "gen" / "study-000").glob("*.dcm"))
        for name, command in TRANSCODES:
            files = []
            for i, src in enumerate(slices):
                if command is None:
                    files.append(src.read_bytes())
                    continue
                dst = tmp / f"{name}-{i}.dcm"
                subprocess.run(command + [str(src), str(dst)], check=True)
                files.append(dst.read_bytes())
            # Two slices keep most seeds small; the explicit one has all three.
            kept = files if name == "explicit_le" else files[:2]
            (out / ("series_" + name)).write_bytes(SEPARATOR.join(kept))
        (out / "single_instance").write_bytes(slices[0].read_bytes())
    report(out)


TARGETS = {"hl7": make_hl7, "mllp": make_mllp, "json": make_json, "mapping": make_mapping, "dicom": make_dicom}


def main() -> None:
    names = sys.argv[1:] or list(TARGETS)
    for name in names:
        if name not in TARGETS:
            sys.exit(f"unknown corpus {name}: choose from {', '.join(TARGETS)}")
        TARGETS[name]()


if __name__ == "__main__":
    main()
