"""roomlive's benchmark: tap-to-every-tablet latency and capacity, against a bare fan-out server.

    .venv/bin/python -m bench            both sizes, repetitions, capacity search, replay

See bench/README.md for what is measured and the latest figures.
"""
