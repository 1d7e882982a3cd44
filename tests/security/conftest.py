"""The hostile-project fixtures, shared by every module of this package."""

from tests.security.test_hostile import outside, pristine, project, run  # noqa: F401
