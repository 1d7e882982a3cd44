"""The hostile-project fixtures, shared by every module of this package."""

from tests.charts.test_pull import chart_cache, repo_dir  # noqa: F401  (credential binding)
from tests.security.test_hostile import outside, pristine, project, run  # noqa: F401
