#!/usr/bin/env python3
"""Runs the packet fixtures (tests/packet/fixtures/, one module per feature) against the real
edgelb-dataplane: pcap in -> net_pcap -> pcap out, compared byte for byte.
  run_case.py --list
  run_case.py --case NAME --binary build/dataplane/edgelb-dataplane [--workdir DIR]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixtures import CASES  # noqa: E402
from harness import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(CASES))
