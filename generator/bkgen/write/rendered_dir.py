"""`rendered/<env>/` on disk: confined, one writer at a time, never absent, never half-written.

- Confined: `rendered/` and `rendered/<env>` must be real directories inside the project
  root. A pull request can commit `rendered -> /somewhere`; bkgen would then replace and
  delete what is there. Such a path is refused with the link and its target.
- One writer: a lock per environment (`rendered/.<env>.lock`, `flock`), so two renders, or a
  render and a publish, serialise. The kernel drops the lock with its process, so a killed
  render leaves no stale lock; the file names the holder's pid for the message.
- Never absent: the new tree is written beside the old one and exchanged with it in one
  `renameat2(RENAME_EXCHANGE)` where the kernel and file system offer it (Linux >= 3.15,
  ext4/xfs/btrfs/tmpfs), so `rendered/<env>` exists at every instant; elsewhere two renames
  leave it missing for the moment between them.
- Never half-written: any OSError (disk full, read-only, permission, name too long) becomes
  one line naming the path and the cause; the staging tree is removed, the old one stays.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path

from bkgen.errors import Location, OutputError, display_path
from bkgen.write.output import check_relative

LOCK_TIMEOUT = 300.0  # seconds a render waits for another writer of the same env
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_CAUSES = {
    errno.ENOSPC: "disk full",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted (immutable?)",
    errno.ENAMETOOLONG: "file name too long",
}


def _fault(
    err: OSError, path: Path, root: Path, doing: str, keep_path: bool = False
) -> OutputError:
    cause = _CAUSES.get(err.errno or 0, err.strerror or type(err).__name__)
    where = path if keep_path or not isinstance(err.filename, str) else Path(err.filename)
    return OutputError(
        f"cannot {doing}: {cause}",
        location=Location(display_path(where, root)),
        hint="the previous tree is unchanged",
    )


def output_dir(root: Path, env: str) -> Path:
    """`root/rendered/<env>`, after making sure neither part leaves the project."""
    real_root = root.resolve()
    rendered = root / "rendered"
    for path in (rendered, rendered / env):
        if path.is_symlink():
            raise OutputError(
                f"{display_path(path, root)} is a symlink to {path.readlink()}; bkgen writes "
                "only to real directories inside the project",
                location=Location(display_path(path, root)),
                hint=f"remove the link; bkgen render recreates {display_path(path, root)}",
            )
        if path.exists() and not path.is_dir():
            raise OutputError(
                "exists but is not a directory", location=Location(display_path(path, root))
            )
    if rendered.exists() and not rendered.resolve().is_relative_to(real_root):
        raise OutputError("rendered/ resolves outside the project", location=Location("rendered"))
    return rendered / env


@contextmanager
def env_lock(root: Path, env: str, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold `rendered/.<env>.lock` exclusively; waits for another writer up to `timeout`.

    The file is removed on release, so a failed render leaves nothing behind. Removal is
    safe because a waiter that wins the lock checks that it locked the file still at the
    path (same inode), and starts over otherwise.
    """
    rendered = root / "rendered"
    path = rendered / f".{env}.lock"
    output_dir(root, env)
    deadline = time.monotonic() + timeout
    created = not rendered.exists()
    while True:
        try:
            rendered.mkdir(exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        except OSError as err:
            raise _fault(err, path, root, "lock the environment") from None
        if _acquired(fd, path, env, deadline):
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        with suppress(OSError):
            path.unlink()
        os.close(fd)  # closing drops the flock
        if created:
            with suppress(OSError):
                rendered.rmdir()  # only if nothing was rendered into it


def _acquired(fd: int, path: Path, env: str, deadline: float) -> bool:
    """True when `fd` is locked and still the file at `path`; False to start over."""
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
                os.close(fd)
                raise OutputError(
                    f"another bkgen (pid {holder}) is writing rendered/{env}",
                    location=Location(f"rendered/.{env}.lock"),
                    hint="wait for it, or stop it; a killed process releases the lock",
                ) from None
            time.sleep(0.05)
    try:
        return os.fstat(fd).st_ino == path.stat(follow_symlinks=False).st_ino
    except FileNotFoundError:
        return False


def write_tree(
    files: Mapping[str, bytes], dest: Path, root: Path | None = None, final: Path | None = None
) -> None:
    """Write `files` under a new directory `dest` (which must not exist). Errors name the
    file as it will be called once swapped in (`final`), not the staging directory."""
    base = root or dest.parent
    try:
        dest.mkdir(parents=False)
    except FileExistsError:
        raise OutputError(
            f"{dest.name} already exists", location=Location(display_path(dest, base))
        ) from None
    except OSError as err:
        raise _fault(err, final or dest, base, "write the rendered tree") from None
    current = dest
    try:
        for rel in sorted(files):
            current = dest / check_relative(rel)
            current.parent.mkdir(parents=True, exist_ok=True)
            current.write_bytes(files[rel])
    except OSError as err:
        shown = (final or dest) / current.relative_to(dest)
        raise _fault(err, shown, base, "write the rendered tree", keep_path=True) from None


def same_tree(files: Mapping[str, bytes], dest: Path) -> bool:
    """Whether `dest` already holds exactly `files`: the same paths, bytes and nothing else
    (no other file or directory, no link anywhere). Then a re-render need not swap."""
    try:
        if dest.is_symlink() or not dest.is_dir():
            return False
        wanted_dirs = {p.parent for p in (Path(rel) for rel in files)} - {Path()}
        for parent in list(wanted_dirs):
            wanted_dirs.update(parent.parents)
        seen = 0
        for current, dirs, names in os.walk(dest):
            here = Path(current).relative_to(dest)
            for name in dirs:
                path = Path(current) / name
                if path.is_symlink() or here / name not in wanted_dirs:
                    return False
            for name in names:
                rel = (here / name).as_posix()
                path = Path(current) / name
                if rel not in files or path.is_symlink() or not path.is_file():
                    return False
                if path.read_bytes() != files[rel]:
                    return False
                seen += 1
        return seen == len(files)
    except OSError:
        return False


def stage_tree(files: Mapping[str, bytes], dest: Path, root: Path | None = None) -> Path:
    """Write `files` into a hidden sibling of `dest`; on any error it is removed again."""
    base = root or dest.parent
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.new-", dir=dest.parent))
        staging.rmdir()
    except OSError as err:
        raise _fault(err, dest.parent, base, "create the staging directory") from None
    try:
        write_tree(files, staging, base, final=dest)
    except BaseException:
        discard(staging)
        raise
    return staging


def discard(staging: Path) -> None:
    shutil.rmtree(staging, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two directories; False where the kernel or file system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), os.fsdecode(a))


def swap_in(staging: Path, dest: Path, root: Path | None = None) -> None:
    """Replace `dest` with the complete `staging` tree; files no longer produced disappear."""
    base = root or dest.parent
    try:
        if dest.exists() and _exchange(staging, dest):
            discard(staging)  # now holds the old tree
            return
        old: Path | None = None
        if dest.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{dest.name}.old-", dir=dest.parent))
            old.rmdir()
            dest.rename(old)
        try:
            staging.rename(dest)
        except BaseException:
            if old is not None and not dest.exists():
                old.rename(dest)
                old = None
            raise
        finally:
            if old is not None:
                with suppress(OSError):
                    shutil.rmtree(old)
    except OSError as err:
        discard(staging)
        raise _fault(err, dest, base, "swap in the rendered tree") from None
    except BaseException:
        discard(staging)
        raise


def replace_tree(files: Mapping[str, bytes], dest: Path, root: Path | None = None) -> None:
    """Build the tree beside `dest` and swap it in; on error the old tree is untouched."""
    swap_in(stage_tree(files, dest, root), dest, root)
