"""The chart-supply fixtures (`test_pull`), shared by every module of this package."""

from tests.charts.test_pull import chart_cache, repo_dir  # noqa: F401
