"""`manage.py run_benchmarks` (`make bench`): the studio measured against its performance targets.

Each part runs the real thing in a temporary folder of its own, never on var/:

- `pipeline`: 200 generations at once against the simulator over real HTTP, on a real cluster
  (polling, webhooks, and the naive one-worker-per-job way for comparison);
- `pages`: the studio page, further gallery pages and the live-update request on a seeded gallery
  of 10,000 generations, plus what a first load transfers;
- `throughput`: the live-update endpoint under gunicorn, against a bare Django view;
- `reels`: 10 rendered shots stitched into one reel by stream copy and by re-encode (reels.py).

`report` writes docs/benchmarks.md and docs/benchmarks.json; `stats` is the arithmetic.
"""
