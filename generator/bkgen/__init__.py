"""bkgen: GitOps config generator and validator for containerized BlueKing 7.x.

The version is written here, once: pyproject.toml reads it (`dynamic`), and no command
pays for `importlib.metadata` to learn it.
"""

__version__ = "0.1.0"
