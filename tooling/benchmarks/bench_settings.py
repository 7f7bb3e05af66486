"""Settings for the benchmarks' own processes only (never the product's): the studio's settings,
plus a bare view to compare against (bench_urls) and a note of each task's executing time (apps)."""

from hailuo_site.settings import *  # noqa: F403
from hailuo_site.settings import INSTALLED_APPS

ROOT_URLCONF = "tooling.benchmarks.bench_urls"
INSTALLED_APPS = [*INSTALLED_APPS, "tooling.benchmarks.apps.BenchmarksConfig"]
