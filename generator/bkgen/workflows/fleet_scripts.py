"""The bash the fleet Workflow's pods run: a shard publishes its environments, a report names
the broken ones.

The scripts are code reviewed here; every value (URLs, revision, environment names, the
results of the shards) reaches them as an environment variable, never spliced into the text
(`script_text.refuse_spliced`). They install nothing: `bkgen` and `git` come with the image.
Exit codes carry the retry policy: `TRANSIENT` (75, EX_TEMPFAIL) means a repository could
not be reached or a push kept losing its race, and Argo retries the pod; 1 means an
environment failed to render or validate, which no retry fixes.
"""

from __future__ import annotations

TRANSIENT = 75
OUT_DIR = "/tmp/bkgen-out"  # the output parameter `failed` is read from here
SSH_DIR = "/etc/bkgen/git-ssh"  # where a --git-ssh-secret is mounted

# A token from a Secret (env GIT_TOKEN, optional GIT_USERNAME) is handed to git by a
# credential helper that reads the variables when git asks: the value is never written to
# a file, a URL, an argument or the log.
_CREDENTIALS = r"""
export HOME="$work/home" && mkdir -p "$HOME"
if [ -n "${GIT_TOKEN:-}" ]; then
  helper='!f() { test "$1" = get || exit 0; echo "username=${GIT_USERNAME:-git}";'
  helper+=' echo "password=${GIT_TOKEN}"; }; f'
  git config --global credential.helper "$helper"
fi
"""

SHARD = (
    r"""set -euo pipefail
mkdir -p "$BKGEN_OUT" && : > "$BKGEN_OUT/failed"
work=$(mktemp -d "${TMPDIR:-/tmp}/bkgen-shard.XXXXXX")
"""
    + _CREDENTIALS
    + r"""
read -ra envs <<< "$P_ENVS"
if ! git clone -q -- "$P_REPO" "$work/src"; then
  echo "bkgen fleet: cannot clone the overlay repository (transient: retried)" >&2
  exit @TRANSIENT@
fi
cd "$work/src"
git checkout -q "$P_REVISION" --
if ! git ls-remote -q --heads -- "$P_DEPLOY_REPO" > /dev/null; then
  echo "bkgen fleet: cannot reach the deploy repository (transient: retried)" >&2
  exit @TRANSIENT@
fi

# publish ENV...: one render, one commit, publish's own retries on a moved remote.
# Returns 75 when git (not an environment) failed, so the pod is retried as a whole.
publish() {
  local log="$work/publish.log"
  if bkgen publish "$@" --repo "$P_DEPLOY_REPO" --branch "$P_DEPLOY_BRANCH" --push \
      2> "$log"; then
    cat "$log" >&2
    return 0
  fi
  cat "$log" >&2
  if grep -Eq '^bkgen: (git |push to )' "$log"; then return @TRANSIENT@; fi
  return 1
}

status=0
publish "${envs[@]}" || status=$?
if [ "$status" = @TRANSIENT@ ]; then exit @TRANSIENT@; fi
if [ "$status" = 0 ]; then
  echo "bkgen fleet: published ${envs[*]}"
  exit 0
fi
# One environment broke the shard's publish: publish the others alone, name the broken.
failed=()
for env in "${envs[@]}"; do
  status=0
  publish "$env" || status=$?
  if [ "$status" = @TRANSIENT@ ]; then exit @TRANSIENT@; fi
  if [ "$status" != 0 ]; then failed+=("$env"); fi
done
echo "${failed[*]}" > "$BKGEN_OUT/failed"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "bkgen fleet: failed: ${failed[*]}" >&2
  exit 1
fi
echo "bkgen fleet: published ${envs[*]} (one at a time)"
"""
).replace("@TRANSIENT@", str(TRANSIENT))

# P_RESULTS: one line per shard, `<shard>|<phase>|<failed envs>|<envs>`, filled in by Argo
# from each shard task's status and `failed` output parameter.
REPORT = r"""set -euo pipefail
published=() broken=()
while IFS='|' read -r shard phase failed envs; do
  [ -n "$shard" ] || continue
  read -ra all <<< "$envs"
  read -ra bad <<< "$failed"
  if [ "$phase" = Succeeded ]; then
    published+=("${all[@]}")
  elif [ "${#bad[@]}" -gt 0 ]; then
    broken+=("${bad[@]}")
    for env in "${all[@]}"; do
      case " ${bad[*]} " in *" $env "*) ;; *) published+=("$env") ;; esac
    done
  else
    broken+=("${all[@]}")  # the shard did not get as far as its environments
  fi
  echo "$shard $phase: ${envs}"
done <<< "$P_RESULTS"
echo "published (${#published[@]}): ${published[*]}"
if [ "${#broken[@]}" -gt 0 ]; then
  echo "bkgen fleet: ${#broken[@]} environment(s) failed: ${broken[*]}" >&2
  exit 1
fi
"""
