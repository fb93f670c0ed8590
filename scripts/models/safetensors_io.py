"""Writes and reads safetensors files: the functions of scripts/export_state_dict.py (PyTorch
1.13 on Debian ships no safetensors package). See that file for the format."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from export_state_dict import DTYPES, encode, read, write  # noqa: E402,F401
