#!/usr/bin/env python3
"""JUnit XML and the HTML report as CI systems read them (issue 12 items 14, 21).

Runs `ceres test` (CERES_BIN) on synthesized mooneye-style ROMs and reads the
JUnit file with Python's own XML parser:
- ROM file names with bytes that are not UTF-8 and with control bytes still
  give well-formed XML (they are replaced, not copied);
- a known failure is <skipped message="known failure: ...">, an unexpected
  pass is a <failure>, a regression a <failure>; the failures/errors/skipped
  counts of every <testsuite> and of <testsuites> agree with the elements;
- every <testsuite> has an ISO 8601 timestamp and the hostname;
- the HTML report marks the unexpected pass and says when, from which commit
  and by which command it was made.
"""
import os
import re
import socket
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

failures = 0


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print("CHECK failed:", what, file=sys.stderr)


def rom(regs):
    """ROM-only cartridge: LD B..L with the given values, LD B,B, JR -2."""
    r = bytearray(0x8000)
    r[0x100:0x104] = bytes([0x00, 0xC3, 0x50, 0x01])
    r[0x134:0x13D] = b"CERESTEST"
    code = bytearray()
    for op, v in zip([0x06, 0x0E, 0x16, 0x1E, 0x26, 0x2E], regs):
        code += bytes([op, v])
    code += bytes([0x40, 0x18, 0xFE])
    r[0x150:0x150 + len(code)] = code
    c = 0
    for i in range(0x134, 0x14D):
        c = (c - r[i] - 1) & 0xFF
    r[0x14D] = c
    return bytes(r)


PASS = rom([3, 5, 8, 13, 21, 34])
FAIL = rom([0x42] * 6)


ATTR = {"failure": "failures", "error": "errors", "skipped": "skipped"}


def counts(el):
    kinds = {"failure": 0, "error": 0, "skipped": 0}
    for case in el.iter("testcase"):
        for k in kinds:
            kinds[k] += len(case.findall(k))
    return kinds


def check_junit(path, expect_cases):
    data = open(path, "rb").read()
    try:
        root = ET.fromstring(data)
    except ET.ParseError as e:
        check(False, "%s is not well-formed XML: %s" % (path, e))
        return None
    check(root.tag == "testsuites", "root is <testsuites>")
    total = counts(root)
    for k, v in total.items():
        a = ATTR[k]
        check(root.get(a) == str(v), "<testsuites %s=%s> but %d <%s> elements" % (a, root.get(a), v, k))
    check(root.get("tests") == str(len(list(root.iter("testcase")))), "testsuites tests= count")
    for suite in root.findall("testsuite"):
        c = counts(suite)
        for k, v in c.items():
            a = ATTR[k]
            check(suite.get(a) == str(v), "<testsuite %s=%s> but %d <%s>" % (a, suite.get(a), v, k))
        check(suite.get("tests") == str(len(suite.findall("testcase"))), "testsuite tests= count")
        ts = suite.get("timestamp") or ""
        check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ?", ts) is not None, "timestamp %r" % ts)
        check(suite.get("hostname") == socket.gethostname(), "hostname %r" % suite.get("hostname"))
    check(len(list(root.iter("testcase"))) == expect_cases, "number of test cases")
    return root


def main():
    binary = os.environ.get("CERES_BIN")
    if not binary or not os.access(binary, os.X_OK):
        print("SKIP: CERES_BIN is not set to the ceres program")
        return 77
    with tempfile.TemporaryDirectory(prefix="ceres-junit-") as d:
        db = d.encode()
        for name, data in [(b"pass.gb", PASS), (b"fail.gb", FAIL), (b"regress.gb", FAIL),
                           (b"bad\xff\xfe name\x01\x1b.gb", FAIL), (b"ok \xc3(\x7f.gb", PASS)]:
            open(os.path.join(db, name), "wb").write(data)
        os.mkdir(os.path.join(d, "suites"))
        with open(os.path.join(d, "suites", "self.suite"), "w") as f:
            f.write("suite self\n"
                    'test pass.gb mooneye 60f dmg fail "was broken"\n'
                    'test fail.gb mooneye 60f dmg fail "known <bug> & more"\n'
                    "test regress.gb mooneye 60f dmg pass\n")
        # 1. a manifest: an unexpected pass, a known failure, a regression
        junit, html = os.path.join(d, "j.xml"), os.path.join(d, "r.html")
        p = subprocess.run([binary, "test", "--suites", os.path.join(d, "suites"), "--roms", d,
                            "--out", os.path.join(d, "out"), "--junit", junit, "--html", html,
                            "--replay-window", "0"], capture_output=True)
        print(p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace"))
        check(p.returncode == 1, "exit 1 (regression and unexpected pass), got %d" % p.returncode)
        root = check_junit(junit, 3)
        if root is not None:
            cases = {c.get("name"): c for c in root.iter("testcase")}
            sk = cases["pass.gb"].findall("failure") if "pass.gb" in cases else []
            check(len(sk) == 1 and sk[0].get("type") == "unexpected-pass", "unexpected pass is a <failure>")
            kf = cases.get("fail.gb")
            s = kf.findall("skipped") if kf is not None else []
            check(len(s) == 1 and s[0].get("message", "").startswith("known failure: known <bug> & more"),
                  "known failure is <skipped message=\"known failure: ...\">")
            check(kf is not None and not kf.findall("failure"), "known failure has no <failure>")
            rg = cases.get("regress.gb")
            check(rg is not None and len(rg.findall("failure")) == 1, "regression is a <failure>")
        page = open(html, encoding="utf-8", errors="replace").read()
        check(re.search(r'<li class="unexpected-pass">self / pass\.gb', page) is not None,
              "HTML lists the unexpected pass")
        check('class="pass unexpected"' in page, "HTML marks the unexpected pass in the grid")
        check(re.search(r'made <time datetime="\d{4}-\d\d-\d\dT[\d:]+Z">', page) is not None, "HTML says when")
        check(re.search(r"from commit <code>[^<]+</code>", page) is not None, "HTML says which commit")
        check("by <code class=\"command\">ceres test --suites " in page, "HTML says which command")
        # 2. ad-hoc ROMs whose names are not UTF-8 and hold control bytes
        p = subprocess.run([binary, "test", "--timeout", "60f", "--out", os.path.join(d, "out2"),
                            "--junit", junit, "--replay-window", "0",
                            os.path.join(db, b"bad\xff\xfe name\x01\x1b.gb"),
                            os.path.join(db, b"ok \xc3(\x7f.gb")], capture_output=True)
        check(p.returncode == 1, "exit 1 (one failure), got %d" % p.returncode)
        root = check_junit(junit, 2)
        if root is not None:
            names = [c.get("name") for c in root.iter("testcase")]
            check(any(n.endswith("bad\ufffd\ufffd name\ufffd\ufffd.gb") for n in names), "names %r" % names)
            check(any(n.endswith("ok \ufffd(\ufffd.gb") for n in names), "names %r" % names)
    print("%d checks failed" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
