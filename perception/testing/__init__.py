"""Generators and replay helpers for tests and benchmarks only; nothing in the product imports this package.

- ``replay``: run a 2D tracker over a MOTChallenge sequence's public detections and time it.
- ``tracking_scenes``: simulated 2D/3D multi-object scenes with ground truth for tracker tests.
- ``memory_scenes``: scripted track streams for memory tests; ``memory_qa``: template questions about them
  (these measure the parser against itself, never accuracy: bench/qa_real.py does that).
"""
