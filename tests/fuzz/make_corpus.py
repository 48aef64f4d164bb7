#!/usr/bin/env python3
"""Regenerates the fuzz_hl7 seed corpus in tests/fuzz/corpus/hl7/.

fuzz_hl7 reads its input as a byte stream whose first four bytes pick the
feed() chunk sizes and framer options (see fuzz_hl7.cpp); they are garbage
outside any frame as far as the framer is concerned. So a seed is either a
bare file (raw_*: parsed as a message and as a batch, no frames) or 4 prefix
bytes followed by MLLP frames (mllp_*), or a hand-written edge case (edge_*).
Run from anywhere: python3 tests/fuzz/make_corpus.py
"""
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
    # Bytes inside a kept escape (\Zxx\) are text in the message's charset.
    "edge_z_escape_bytes": ONE_SHOT + frame(MSH + b"\rNTE|1||\\Z\xdf\\\r")
    + frame(MSH + b"||||||8859/1\rNTE|1||\\Z\xe9\\\r") + frame(MSH + b"||||||UNICODE UTF-8\rNTE|1||\\Z\xc3\xa9\\\r"),
}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.iterdir():
        old.unlink()
    for name in RAW:
        data = (SAMPLES / name).read_bytes()
        (OUT / ("raw_" + Path(name).stem)).write_bytes(data)
    for name, prefix, files in MLLP:
        data = prefix + b"".join(frame((SAMPLES / f).read_bytes()) for f in files)
        (OUT / ("mllp_" + name)).write_bytes(data)
    for name, data in EDGE.items():
        (OUT / name).write_bytes(data)
    files = sorted(OUT.iterdir())
    print(f"{len(files)} seeds, {sum(f.stat().st_size for f in files)} bytes in {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
