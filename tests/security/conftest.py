"""The hostile-project fixtures, shared by every module of this package."""

from tests.charts.test_pull import chart_cache, repo_dir  # noqa: F401  (credential binding)
from tests.gitops.conftest import shipped  # noqa: F401  (the review's ignore list)
from tests.security.test_hostile import outside, pristine, project, run  # noqa: F401
