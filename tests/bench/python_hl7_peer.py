#!/usr/bin/python3
"""python-hl7 peer for parse_bench: parses the messages of FILE with hl7.parse.

FILE holds UTF-8 HL7 v2 messages (CR segment terminators), each followed by
one LF. Each message is parsed and PID-3 and OBR-4 are touched (OBR is absent
in ADT messages: KeyError). Only the parsing loop is timed (time.perf_counter,
best of PASSES, default 3); reading and decoding the file are not. Prints one
machine-readable line on stdout:

    messages=N bytes=B seconds=S passes=P checksum=C

Exits 3, with a message on stderr, when python-hl7 is not installed.
"""
import sys
import time

try:
    import hl7
except ImportError:
    print("error: python-hl7 is not installed for %s "
          "(Debian/Ubuntu: apt-get install python3-hl7; or: pip install hl7)" % sys.executable,
          file=sys.stderr)
    sys.exit(3)


def main():
    if len(sys.argv) not in (2, 3):
        print("usage: python_hl7_peer.py FILE [PASSES]", file=sys.stderr)
        return 2
    passes = int(sys.argv[2]) if len(sys.argv) == 3 else 3
    with open(sys.argv[1], "rb") as f:
        raw = [m for m in f.read().split(b"\n") if m]
    nbytes = sum(len(m) for m in raw)
    texts = [m.decode("utf-8") for m in raw]
    parse = hl7.parse

    best = float("inf")
    checksum = 0
    for _ in range(passes):
        total = 0
        start = time.perf_counter()
        for text in texts:
            m = parse(text)
            total += len(m.segment("PID")[3])
            try:
                total += len(m.segment("OBR")[4])
            except KeyError:
                pass
        elapsed = time.perf_counter() - start
        best = min(best, elapsed)
        checksum = total
    print("messages=%d bytes=%d seconds=%.6f passes=%d checksum=%d"
          % (len(texts), nbytes, best, passes, checksum))
    return 0


if __name__ == "__main__":
    sys.exit(main())
