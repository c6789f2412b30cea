#!/usr/bin/env python3
"""Write the manifests of the suites that come with a checks.tsv
(suites/gambatte.suite and the screenshot suites) from the test ROM folder.

    scripts/gen_suites.py [ROMROOT]     (default: $CERES_TESTROMS or ../shared/testroms)

Only DMG checks are written: Ceres emulates the DMG. Expectations already in
a manifest are kept (matched by ROM and check), so regenerating does not lose
the known failures; new tests start as `pass`, and
`ceres test --suite NAME --update-expectations` then records what fails.
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SUITES = os.path.join(os.path.dirname(HERE), "suites")

FORMAT = """#
# Format (parsed strictly by src/runner/manifest.c; errors name the line):
#   '#' begins a comment line; blank lines are ignored
#   suite NAME                          once, before the first test
#   test ROM CHECK LIMIT MODEL EXPECT   one test per line
#   trigger ACTION "EXPR" [ARG]         after a test line, zero or more:
#         start "EXPR" [pre N] | stop "EXPR" [post N | post Nc] | mark "EXPR";
#         shape what that test's ring keeps (conditions as in `ceres run
#         --trace-start`; no snapshots: a passing test writes nothing)
# ROM     path relative to the ROM root (--roms DIR, $CERES_TESTROMS, or the
#         built-in default); double quotes when it holds blanks or commas
# CHECK   mooneye | blargg-serial | blargg-mem | sm83 |
#         screenshot=FILE.png (relative to the ROM root) | mem=ADDR:PASS:FAIL |
#         hex=GLYPHS.txt:DIGITS | audio0 | audio1 | frame=FILE.png (the last
#         four are judged once, on the first frame completed after LIMIT)
# LIMIT   emulated time limit: 20s (seconds), 600f (frames), 5000000c
#         (T-cycles); "-" for sm83 vector files (no time limit)
# MODEL   dmg
# EXPECT  pass | fail "reason"   (a known failure and why; `ceres test
#         --update-expectations` rewrites these from a run)
"""


def quote(s):
    if re.search(r'[\s,"\\]', s):
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return s


def tokens(line):
    out, i = [], 0
    while i < len(line):
        if line[i] in " \t":
            i += 1
            continue
        if line[i] == '"':
            i += 1
            buf = ""
            while i < len(line) and line[i] != '"':
                if line[i] == "\\":
                    i += 1
                buf += line[i]
                i += 1
            out.append(buf)
            i += 1
        else:
            j = i
            while j < len(line) and line[j] not in " \t":
                j += 1
            out.append(line[i:j])
            i = j
    return out


def old_expectations(path):
    """(rom, check) -> expectation text ('pass' or 'fail "..."')."""
    keep = {}
    if not os.path.exists(path):
        return keep
    with open(path) as f:
        for line in f:
            t = tokens(line.strip())
            if len(t) >= 6 and t[0] == "test":
                exp = t[5] if t[5] == "pass" else "fail " + quote(t[6])
                keep[(t[1], t[2])] = exp
    return keep


def write(name, header, tests):
    """tests: (comment or None, rom, check, limit, default expectation[, input script])."""
    path = os.path.join(SUITES, name + ".suite")
    keep = old_expectations(path)
    lines = ["# Ceres test suite manifest: " + name, FORMAT.rstrip("\n"), "", "suite " + name, ""]
    lines += ["# " + h if h else "#" for h in header]
    for comment, rom, check, limit, default, *script in tests:
        if comment:
            lines.append("# " + comment)
        exp = keep.get((rom, check), default)
        lines.append("test %s %s %s dmg %s" % (quote(rom), quote(check), limit, exp))
        if script:
            lines.append('input "%s"' % script[0])
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp, path)
    print("%s: %d tests" % (path, len(tests)))


def gambatte(root):
    tests = []
    group = None
    with open(os.path.join(root, "gambatte", "checks.tsv")) as f:
        rows = [l.rstrip("\n").split("\t") for l in f if not l.startswith("#") and l.strip()]
    for model, rom, kind, value in sorted(r for r in rows if r[0] == "dmg"):
        rel = "gambatte/" + rom
        if kind == "hex":
            check = "hex=gambatte/hexglyphs.txt:" + value
        elif kind in ("audio0", "audio1"):
            check = kind
        elif kind == "png":
            check = "frame=" + os.path.dirname(rel) + "/" + value
        else:
            sys.exit("gambatte/checks.tsv: unknown kind " + kind)
        g = rom.split("/")[1]
        tests.append(("group " + g if g != group else None, rel, check, "15f", "pass"))
        group = g
    header = [
        "gambatte's hardware tests (gambatte/README.md), the DMG checks of",
        "gambatte/checks.tsv: power on without a boot ROM, run 15 frames' time, go",
        "on to the next completed frame and judge it (gambatte's testrunner.cpp",
        "stops at the 16th completed frame). hex: the expected digits drawn as 8x8",
        "glyphs (gambatte/hexglyphs.txt) in the top-left tiles, white = lightest",
        "shade, black = darkest; frame: the whole frame against the PNG, by shade;",
        "audio0/audio1: the sound output before any filter constant / not constant",
        "during the last frame. The .gbc ROMs are run as DMG cartridges (the CGB",
        "flag is ignored, as gambatte's own DMG runs do). The CGB checks are left",
        "out: Ceres emulates the DMG. Written by scripts/gen_suites.py.",
        "",
    ]
    write("gambatte", header, tests)


CSP = {
    "scribbltests": "Hacktix scribbltests (scribbltests/README.md)",
    "bully": "Hacktix BullyGB (bully/README.md)",
    "little-things-gb": "pinobatch little-things-gb (little-things-gb/README.md)",
    "strikethrough": "Hacktix strikethrough.gb (strikethrough/README.md)",
    "rtc3test": "ax6 rtc3test, MBC3 clock (rtc3test/README.md)",
}


def csp(root, name):
    tests = []
    with open(os.path.join(root, name, "checks.tsv")) as f:
        rows = [l.rstrip("\n").split("\t") for l in f if not l.startswith("#") and l.strip()]
    for model, rom, ref, frames, inp, compare in rows:
        if model != "dmg":
            continue
        assert compare == "dmg-shades", compare
        comment = None
        script = []
        if inp != "-":
            # checks.tsv writes FRAME:BUTTON:FRAMES_HELD; the manifest's input
            # line is a `ceres run --input` script (FRAME:button*FRAMES).
            script = [",".join("%s:%s*%s" % (f, b.lower(), n)
                               for f, b, n in (p.split(":") for p in inp.split(",")))]
            comment = "buttons " + inp
        tests.append((comment, name + "/" + rom, "frame=%s/%s" % (name, ref), frames + "f", "pass",
                      *script))
    header = [
        CSP[name] + ": the DMG checks of its checks.tsv.",
        "Power on without a boot ROM, run FRAMES frames, judge the next completed",
        "frame against the reference PNG by shade (#FFFFFF #AAAAAA #555555",
        "#000000 = shades 0..3). Checks that press buttons get an input line.",
        "Written by scripts/gen_suites.py.",
        "",
    ]
    write(name, header, tests)


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("CERES_TESTROMS") or os.path.join(
        os.path.dirname(HERE), "..", "shared", "testroms")
    if not os.path.isfile(os.path.join(root, "gambatte", "checks.tsv")):
        sys.exit("no gambatte/checks.tsv under %s: give the test ROM folder" % root)
    gambatte(root)
    for name in CSP:
        csp(root, name)


if __name__ == "__main__":
    main()
