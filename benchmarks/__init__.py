"""tierguard's benchmarks (issue 8): `python -m benchmarks`, see benchmarks/README.md."""
