"""`bkgen publish`: commit rendered trees to the repository Argo CD reads, and push.

Two targets: this repository (`rendered/<env>`, committed on the current branch),
or a deploy repository (`--repo PATH|URL`), worked on in a temporary clone so the
user's checkouts are never touched. Pushing retries on non-fast-forward: fetch,
rebase, and if the rebase conflicts, re-apply our (complete, regenerated) tree on
top of the remote head — so racing publishers never lose each other's commits.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import tempfile
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bkgen import __version__
from bkgen.diff.compare import diff_trees
from bkgen.diff.model import load_tree
from bkgen.errors import GitError, UsageError
from bkgen.gitops import pin_tags
from bkgen.gitops.git import git, run_git
from bkgen.overlay.load import Environment, load_environment
from bkgen.overlay.settings import EnvSettings
from bkgen.pipeline import render_env_to, write_env
from bkgen.render import RenderSummary

MAX_PUSH_ATTEMPTS = 6
# Only a lost race is retried; hooks, permissions and network errors fail at once.
_NON_FAST_FORWARD = re.compile(
    r"non-fast-forward|fetch first|cannot lock ref|failed to update ref|incorrect old value"
)


def normalise_url(url: str) -> str:
    """A git URL as compared for "same repository": no scheme, userinfo, `.git` or trailing
    slash, host in lower case; scp-like `git@host:org/repo` equals `https://host/org/repo`;
    a local path is its absolute form."""
    text = url.strip()
    scp = re.match(r"^(?:[^@/\s]+@)?([^:/\s]+):(?!//)(.+)$", text)
    if "://" not in text and scp and not Path(text).exists():
        host, rest = scp.group(1), scp.group(2)
    elif "://" in text:
        parts = urllib.parse.urlsplit(text)
        if parts.scheme == "file":
            return str(Path(parts.path).resolve())
        host = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
        rest = parts.path
    else:
        return str(Path(text).resolve())
    rest = rest.strip("/")
    rest = rest.removesuffix(".git").rstrip("/")
    return f"{host.lower()}/{rest}"


def check_target(settings: EnvSettings, env: str, repo: str | None, path: str) -> None:
    """Refuse to publish where the env's Applications do not look (Argo CD would sync nothing).

    Publishing into this repository checks the path only: its remotes may be mirrors of the
    URL Argo CD reads, which bkgen cannot tell from here.
    """
    target_path = f"{path.strip('/')}/{env}"
    target_repo = repo
    same_repo = target_repo is None or normalise_url(target_repo) == normalise_url(
        settings.repo_url
    )
    if same_repo and target_path == settings.path.strip("/"):
        return
    where = f"{target_repo or 'this repository'}:{target_path}"
    raise UsageError(  # quoted URLs are redacted with every error message
        f"{env}: Applications read {settings.repo_url}:{settings.path}, "
        f"but this would publish to {where}",
        hint="fix git.repoURL/git.path in overlays/"
        f"{env}/env.yaml, or --render-for-target to point the Applications at the target",
    )


def _retarget(environment: Environment, repo: str | None, path: str) -> Environment:
    """`environment` with its Applications pointing at the publish target."""
    settings = dataclasses.replace(
        environment.settings,
        repo_url=repo or environment.settings.repo_url,
        path=f"{path.strip('/')}/{environment.name}",
    )
    return dataclasses.replace(environment, settings=settings)


@dataclass(frozen=True)
class PublishResult:
    committed: bool
    message: str
    commit: str = ""
    attempts: int = 0
    tags: tuple[str, ...] = ()  # content pins created (see bkgen.argocd.pins)


def _source_commit(root: Path) -> str:
    head = git(["rev-parse", "HEAD"], root, check=False).strip()
    if not head:
        return "none"
    dirty = git(["status", "--porcelain", "--", "overlays", "argo", "schemas"], root, check=False)
    return f"{head}-dirty" if dirty.strip() else head


def _apply(rendered: Path, checkout: Path, path: str, envs: Sequence[str]) -> None:
    for env in envs:
        target = checkout / path / env
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(rendered / env, target)


def _message(
    checkout: Path, rendered: Path, path: str, summaries: Sequence[RenderSummary], source: str
) -> str:
    apps: set[str] = set()
    counts = {"added": 0, "removed": 0, "changed": 0, "renamed": 0}
    for summary in summaries:
        old = checkout / path / summary.env
        result = diff_trees(
            load_tree(old) if old.is_dir() else {}, load_tree(rendered / summary.env)
        )
        apps |= {f"{summary.env}/{r}" for r in result.by_release()}
        for key, value in result.counts().items():
            counts[key] += value
    envs = ", ".join(s.env for s in summaries)
    renamed = f" >{counts['renamed']}" if counts["renamed"] else ""
    head = (
        f"bkgen publish {envs}: {len(apps)} app(s) changed "
        f"(+{counts['added']} -{counts['removed']} ~{counts['changed']}{renamed} resources)"
    )
    trailers = [f"Bkgen-Source-Commit: {source}", f"Bkgen-Version: {__version__}"]
    trailers += [f"Bkgen-Input-Digest: {s.env}={s.input_digest}" for s in summaries]
    return head + "\n\n" + "\n".join(trailers) + "\n"


def _commit(checkout: Path, path: str, envs: Sequence[str], message: str) -> bool:
    paths = [f"{path}/{env}" for env in envs]
    git(["add", "-A", "--", *paths], checkout)
    if not git(["diff", "--cached", "--name-only", "--", *paths], checkout).strip():
        return False
    identity = (
        []
        if git(["config", "user.email"], checkout, check=False).strip()
        else ["-c", "user.name=bkgen", "-c", "user.email=bkgen@localhost"]
    )
    git([*identity, "commit", "-q", "-F", "-", "--", *paths], checkout, input_text=message)
    return True


def _push(
    checkout: Path,
    branch: str,
    rendered: Path,
    path: str,
    envs: Sequence[str],
    message: str,
    rerender: Callable[[], Path] | None = None,
) -> int:
    """Push with bounded retries. A deploy-repo clone (`rerender` None) holds only our commit,
    so on conflict it replays our tree on the remote head. In this repository the branch also
    carries the user's commits: rebase them (our side wins inside rendered/), then render again
    from the rebased sources, because the remote may have moved the overlays too."""
    for attempt in range(1, MAX_PUSH_ATTEMPTS + 1):
        done = run_git(["push", "-q", "origin", f"HEAD:refs/heads/{branch}"], checkout)
        if done.returncode == 0:
            return attempt
        if not _NON_FAST_FORWARD.search(done.stderr):
            lines = done.stderr.strip().splitlines()
            raise GitError(f"push to {branch} refused: {lines[-1] if lines else done.returncode}")
        git(["fetch", "-q", "origin", branch], checkout)
        if rerender is None:
            rebased = git(["rebase", "-q", f"origin/{branch}"], checkout, returncode=True)
            if rebased != "0":
                git(["rebase", "--abort"], checkout, check=False)
                git(["reset", "-q", "--hard", f"origin/{branch}"], checkout)
                _apply(rendered, checkout, path, envs)
                if not _commit(checkout, path, envs, message):
                    return attempt  # the remote already has exactly our tree
            continue
        rebased = git(
            ["rebase", "-q", "--autostash", "-X", "theirs", f"origin/{branch}"],
            checkout,
            returncode=True,
        )
        if rebased != "0":
            git(["rebase", "--abort"], checkout, check=False)
            raise GitError(
                f"cannot rebase onto origin/{branch}; resolve it by hand and publish again"
            )
        _apply(rerender(), checkout, path, envs)
        _commit(checkout, path, envs, message)
    raise GitError(f"push to {branch} still rejected after {MAX_PUSH_ATTEMPTS} attempts")


def publish(
    root: Path,
    envs: Sequence[str],
    repo: str | None,
    branch: str | None,
    path: str,
    push: bool,
    for_target: bool = False,
) -> PublishResult:
    """Render+validate `envs`, commit them to the target, optionally push.

    The target must be where the env's Applications look (`git.repoURL`/`git.path`), unless
    `for_target`: then the Applications are rendered to point at the target.
    """
    if Path(path).is_absolute() or ".." in Path(path).parts:
        raise UsageError(f"--path must be relative inside the repository: {path!r}")
    loaded = [load_environment(root, env) for env in envs]
    if not for_target:
        for environment in loaded:
            check_target(environment.settings, environment.name, repo, path)
    work = Path(tempfile.mkdtemp(prefix="bkgen-publish-"))
    try:
        rendered = work / "rendered"
        rendered.mkdir()
        summaries = [
            write_env(
                _retarget(environment, repo, path) if for_target else environment,
                rendered / environment.name,
            )
            for environment in loaded
        ]
        source = _source_commit(root)
        if repo is None:
            return _publish_here(root, rendered, path, envs, summaries, source, push, branch)
        checkout = work / "checkout"
        git(["clone", "-q", repo, str(checkout)], work)
        target_branch = branch or git(["rev-parse", "--abbrev-ref", "HEAD"], checkout).strip()
        has_branch = git(["ls-remote", "--heads", "origin", target_branch], checkout).strip()
        if has_branch:
            git(["checkout", "-q", "-B", target_branch, f"origin/{target_branch}"], checkout)
        else:
            git(["checkout", "-q", "--orphan", target_branch], checkout)
            git(["rm", "-rq", "--cached", "--ignore-unmatch", "."], checkout, check=False)
        message = _message(checkout, rendered, path, summaries, source)
        _apply(rendered, checkout, path, envs)
        trees = [checkout / path / env for env in envs]
        if not _commit(checkout, path, envs, message):
            tags = tuple(pin_tags.ensure_tags(checkout, trees, push))
            return PublishResult(
                False, "nothing to publish: the target already has this render", tags=tags
            )
        attempts = _push(checkout, target_branch, rendered, path, envs, message) if push else 0
        commit = git(["rev-parse", "HEAD"], checkout).strip()
        tags = tuple(pin_tags.ensure_tags(checkout, trees, push))
        return PublishResult(True, message.splitlines()[0], commit, attempts, tags)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _publish_here(
    root: Path,
    rendered: Path,
    path: str,
    envs: Sequence[str],
    summaries: Sequence[RenderSummary],
    source: str,
    push: bool,
    branch: str | None,
) -> PublishResult:
    current = git(["rev-parse", "--abbrev-ref", "HEAD"], root).strip()
    if branch and branch != current:
        raise UsageError(
            f"this repository is on '{current}', not '{branch}'",
            hint="check it out, or publish to a deploy repo with --repo",
        )
    message = _message(root, rendered, path, summaries, source)
    head = git(["rev-parse", "HEAD"], root).strip()
    backup = Path(tempfile.mkdtemp(prefix="bkgen-backup-"))

    def rerender() -> Path:
        again = backup / "rerendered"
        shutil.rmtree(again, ignore_errors=True)
        again.mkdir()
        for env in envs:
            render_env_to(root, env, again / env)
        return again

    try:
        for env in envs:
            if (root / path / env).exists():
                shutil.copytree(root / path / env, backup / "before" / env)
        try:
            _apply(rendered, root, path, envs)
            committed = _commit(root, path, envs, message)
            attempts = (
                _push(root, current, rendered, path, envs, message, rerender)
                if (committed and push)
                else 0
            )
        except BaseException:
            # Leave the branch and the working tree as they were before publish.
            git(["reset", "-q", head], root, check=False)
            for env in envs:
                shutil.rmtree(root / path / env, ignore_errors=True)
                if (backup / "before" / env).exists():
                    shutil.copytree(backup / "before" / env, root / path / env)
            raise
    finally:
        shutil.rmtree(backup, ignore_errors=True)
    # After the branch is final: the pins must name the commit that was pushed.
    tags = tuple(pin_tags.ensure_tags(root, [root / path / env for env in envs], push))
    if not committed:
        return PublishResult(False, "nothing to publish: rendered/ is already committed", tags=tags)
    return PublishResult(
        True, message.splitlines()[0], git(["rev-parse", "HEAD"], root).strip(), attempts, tags
    )
