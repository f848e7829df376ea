#!/usr/bin/env python3
"""Builds protos-c07-sip.bin.gz from the PROTOS c07-sip case files.

Usage: make-protos.py [CORPUS_DIR] [OUTPUT]
  CORPUS_DIR defaults to ../../../../shared/corpora/protos-c07-sip relative to the repo
  (i.e. /work/shared/corpora/protos-c07-sip); OUTPUT defaults to protos-c07-sip.bin.gz
  next to this script. Also copies groups.csv next to the output.

Everything is handled as bytes: the cases contain NULs, bare CR/LF and arbitrary octets,
and a text decode would silently change them. The output is deterministic (gzip mtime 0,
no file name), so re-running the script on the same corpus gives a byte-identical file.
See README.md in this folder for the framing and the placeholder values.
"""
import csv
import gzip
import io
import os
import shutil
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_CORPUS = os.path.normpath(os.path.join(HERE, "..", "..", "..", "..", "shared", "corpora", "protos-c07-sip"))
if not os.path.isdir(DEFAULT_CORPUS):
    DEFAULT_CORPUS = "/work/shared/corpora/protos-c07-sip"

MAGIC = b"PROTOSC7"
FORMAT_VERSION = 1

# Values substituted for the suite's placeholders (README.md documents them).
FIXED = {
    b"<To>": b"snomactors@127.0.0.1",
    b"<From>": b"protos@127.0.0.1",
    b"<From-Address>": b"127.0.0.1",
    b"<From-IP>": b"127.0.0.1",
    b"<Local-Port>": b"5062",
    b"<CSeq>": b"1",
    b"<Teardown-Method>": b"CANCEL",
}


def split_case(data: bytes, name: str):
    """A case file is '<len> <bytes><len> <bytes>' (INVITE, then teardown)."""
    parts = []
    pos = 0
    for _ in range(2):
        sp = data.index(b" ", pos)
        length = int(data[pos:sp].decode("ascii"))
        start = sp + 1
        end = start + length
        if end > len(data):
            raise ValueError(f"{name}: declared length {length} runs past the end of the file")
        parts.append(data[start:end])
        pos = end
    if pos != len(data):
        raise ValueError(f"{name}: {len(data) - pos} trailing bytes after the teardown request")
    return parts[0], parts[1]


def body_start(msg: bytes) -> int:
    """Offset of the message body.

    The body is what follows the first CRLFCRLF. In the ten 'crlf-request' cases the empty
    line itself is the mutated element (replaced by NUL, CR, LF runs, or removed), so there
    is no CRLFCRLF; there the SDP body still starts at its 'v=0' line, and that is what the
    suite's sender counted as the content.
    """
    i = msg.find(b"\r\n\r\n")
    if i >= 0:
        return i + 4
    cl = msg.find(b"Content-Length:")
    v = msg.find(b"v=0", cl if cl >= 0 else 0)
    return v if v >= 0 else len(msg)


def fill(msg: bytes, number: int) -> bytes:
    per_case = {
        b"<Branch-ID>": f"-protos{number:07d}".encode("ascii"),
        b"<Call-ID>": f"protos-c07-{number:07d}".encode("ascii"),
    }
    for key, value in list(FIXED.items()) + list(per_case.items()):
        msg = msg.replace(key, value)
    # Content-Length last: the body holds <From-Address>/<From-IP>, so it must be measured
    # after those are filled. The placeholder is in the headers, before the body, and the
    # number replacing it does not move the body's end, only its start.
    if b"<Content-Length>" in msg:
        head_end = msg.index(b"<Content-Length>")
        body_len = len(msg) - body_start(msg)
        msg = msg[:head_end] + str(body_len).encode("ascii") + msg[head_end + len(b"<Content-Length>"):]
        if len(msg) - body_start(msg) != body_len:
            raise ValueError(f"case {number}: <Content-Length> placeholder found inside the body")
    return msg


def load_groups(path: str):
    groups = []
    with open(path, newline="", encoding="ascii") as f:
        for row in csv.DictReader(f):
            groups.append((row["group"], int(row["first_case"]), int(row["case_count"])))
    return groups


def group_index(groups, number: int) -> int:
    for i, (_, first, count) in enumerate(groups):
        if first <= number < first + count:
            return i
    raise ValueError(f"case {number} is in no group of groups.csv")


def main(argv):
    corpus = argv[1] if len(argv) > 1 else DEFAULT_CORPUS
    output = argv[2] if len(argv) > 2 else os.path.join(HERE, "protos-c07-sip.bin.gz")
    groups_src = os.path.join(corpus, "groups.csv")
    groups = load_groups(groups_src)
    cases_dir = os.path.join(corpus, "cases")
    names = sorted(n for n in os.listdir(cases_dir) if n.isdigit())

    raw = io.BytesIO()
    raw.write(MAGIC)
    raw.write(struct.pack("<ii", FORMAT_VERSION, len(names)))
    for name in names:
        number = int(name)
        with open(os.path.join(cases_dir, name), "rb") as f:
            request, teardown = split_case(f.read(), name)
        request = fill(request, number)
        teardown = fill(teardown, number)
        raw.write(struct.pack("<iii", number, group_index(groups, number), len(request)))
        raw.write(request)
        raw.write(struct.pack("<i", len(teardown)))
        raw.write(teardown)

    with open(output, "wb") as out:
        with gzip.GzipFile(filename="", mode="wb", fileobj=out, compresslevel=9, mtime=0) as gz:
            gz.write(raw.getvalue())
    groups_dst = os.path.join(os.path.dirname(os.path.abspath(output)), "groups.csv")
    if os.path.abspath(groups_src) != os.path.abspath(groups_dst):
        shutil.copyfile(groups_src, groups_dst)
    print(f"{len(names)} cases, {len(raw.getvalue())} bytes raw, {os.path.getsize(output)} bytes gzip -> {output}")


if __name__ == "__main__":
    main(sys.argv)
