#!/usr/bin/env python3
"""Writes a SIPp injection file of distinct snom MACs: make-macs.py [COUNT] > macs.csv

Field 0 is the MAC as snom phones put it in the Request-URI (upper-case hex), field 1 the
same MAC as the daemon must put it in the settings URL (lower-case). MACs are 000413 (snom
OUI) + a 6-hex-digit counter starting at 0xAB0000 (so the upper/lower-case forms differ), so they never collide with real ranges
used elsewhere in the tests and are never all-zero.
"""
import sys

count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
if not 0 < count <= 0x54FFFF:
    sys.exit("COUNT must be between 1 and 5570559")
print("SEQUENTIAL")
for i in range(count):
    mac = "000413%06X" % (0xAB0000 + i)
    print(f"{mac};{mac.lower()}")
