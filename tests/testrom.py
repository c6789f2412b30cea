"""Shared by the Python tests: a failure counter and a tiny test cartridge.

Import it with the tests/ folder on sys.path (each test puts it there)."""
import sys

failures = 0


def check(cond, what):
    """Count and report a failed check (the test returns failures != 0)."""
    global failures
    if not cond:
        failures += 1
        print("CHECK failed:", what, file=sys.stderr)


def rom(handler, code):
    """A 32 KiB ROM-only cartridge: `code` at $0150 (entered from $0100),
    `handler` at the VBlank vector $0040, a valid header checksum."""
    r = bytearray(0x8000)
    r[0x100:0x104] = bytes([0x00, 0xC3, 0x50, 0x01])
    r[0x134:0x13D] = b"CERESTEST"
    r[0x40:0x40 + len(handler)] = handler
    r[0x150:0x150 + len(code)] = code
    c = 0
    for i in range(0x134, 0x14D):
        c = (c - r[i] - 1) & 0xFF
    r[0x14D] = c
    return bytes(r)
