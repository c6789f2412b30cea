#!/usr/bin/env python3
"""Every figure in the README's Performance table names the command that
produced it (issue 12 item 22): each row has a `command` cell naming a
`ceres bench` part that exists (`ceres bench --help` lists it)."""
import os
import re
import subprocess
import sys

src = sys.argv[1]
text = open(os.path.join(src, "README.md"), encoding="utf-8").read()
sec = text.split("## Performance", 1)
if len(sec) < 2:
    print("README.md has no Performance section")
    sys.exit(1)
rows = [l for l in sec[1].split("\n## ", 1)[0].splitlines() if l.startswith("|")]
head = [c.strip() for c in rows[0].strip("|").split("|")]
bad = 0
if "command" not in head:
    print("the Performance table has no command column: %r" % head)
    sys.exit(1)
ci = head.index("command")
parts = set()
binary = os.environ.get("CERES_BIN")
if binary and os.access(binary, os.X_OK):
    h = subprocess.run([binary, "bench", "--help"], capture_output=True, text=True)
    parts = set(re.findall(r"\b(recorder|emu|suite|ckpt)\b", h.stdout + h.stderr))
for r in rows[2:]:
    cells = [c.strip() for c in r.strip("|").split("|")]
    cmd = cells[ci] if ci < len(cells) else ""
    m = re.search(r"`ceres bench (\w+)", cmd)
    if not m:
        print("no command for: %s" % cells[0])
        bad += 1
    elif parts and m.group(1) not in parts:
        print("`ceres bench %s` does not exist (row: %s)" % (m.group(1), cells[0]))
        bad += 1
print("%d rows, %d without a command that exists" % (len(rows) - 2, bad))
sys.exit(1 if bad or len(rows) < 3 else 0)
