"""Runtime: every place Showroom tunes or patches a library's internals or reads the machine underneath, each with
an upgrade canary in tests/test_canaries.py."""
