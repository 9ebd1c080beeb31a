#!/usr/bin/env bash
# examples/ci/github-actions.yml and examples/ci/gitlab-ci.yml: their shell
# steps, taken from the YAML (run: blocks, before_script:/script: lists), run
# here against a git repository at a release tag, with the agency's key and
# passphrase as the CI's secret store hands them over (GitHub: environment
# variables; GitLab: "File" variables). The bundles they keep must verify for
# the notary, sealed, with the tag's provenance; an incomplete tree must fail
# the job and keep nothing.
. "$(dirname "$0")/lib.sh"

src=$(cd "$(dirname "$0")/../.." && pwd)
need_tool git git || { finish; exit $?; }
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import yaml' 2>/dev/null ||
	skip_test "/usr/bin/python3 with PyYAML (Debian package python3-yaml) is needed to read the templates"
export HOME=$T GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME=Agency GIT_AUTHOR_EMAIL=dev@agency.example
export GIT_COMMITTER_NAME=Agency GIT_COMMITTER_EMAIL=dev@agency.example
# escrow on PATH, as the templates' install step leaves it.
mkdir bin && ln -s "$ESCROW" bin/escrow
export PATH=$T/bin:$PATH

# The agency's key (encrypted: its passphrase from the secret store), the
# notary's age pair.
printf 'agency passphrase for CI\n' >passphrase.txt
ESCROW_PASSPHRASE_FILE=$T/passphrase.txt "$ESCROW" keygen -o agency -q || exit 1
"$ESCROW" keygen -o notary --age -q || exit 1

# The project: code, docs, the contract and the notary's recipient, at tag v1.2.0.
make_repo() { # DIR
	mkdir -p "$1/src" "$1/escrow" "$1/docs"
	printf 'print("score")\n' >"$1/src/main.py"
	printf '# Runbook\n' >"$1/docs/runbook.md"
	cp notary.age.pub "$1/escrow/notary.age.pub"
	cat >"$1/escrow/contract.yaml" <<'YAML'
escrow-contract: 1
contract: CI-2026-01
agency: Agence Exemple SAS
deliverables:
  - id: source
    kind: code
    include: ["src/**"]
  - id: runbook
    kind: docs
    include: [docs/runbook.md]
YAML
	git -C "$1" init -q -b main
	git -C "$1" add -A
	git -C "$1" commit -q -m "release 1.2.0"
	git -C "$1" tag v1.2.0
	git -C "$1" remote add origin https://ci-token:s3cr3t@git.agency.example/scoring.git
}

# The templates' steps as scripts: steps/NAME-N.sh, each with its env file.
/usr/bin/python3 - "$src/examples/ci" "$T/steps" <<'PY' || exit 1
import os, re, sys, yaml
src, out = sys.argv[1], sys.argv[2]
os.makedirs(out)
secret = re.compile(r"\$\{\{\s*secrets\.([A-Z_]+)\s*\}\}")

def write(name, i, script, env):
    with open(os.path.join(out, "%s-%02d.sh" % (name, i)), "w") as f:
        for k, v in env.items():
            m = secret.fullmatch(str(v).strip())
            # a secret comes from the test's own store, named by the secret
            f.write('export %s="$SECRET_%s"\n' % (k, m.group(1)) if m else "export %s=%s\n" % (k, sh(str(v))))
        f.write(script if script.endswith("\n") else script + "\n")

def sh(v):
    return "'" + v.replace("'", "'\\''") + "'"

gh = yaml.safe_load(open(os.path.join(src, "github-actions.yml")))
on = gh.get("on", gh.get(True))              # YAML 1.1 reads the key "on" as true
assert on["push"]["tags"] == ["v*"], on
n = 0
for job in gh["jobs"].values():
    for step in job["steps"]:
        if "run" in step:
            n += 1
            write("github", n, step["run"], {**job.get("env", {}), **step.get("env", {})})
        else:
            assert step["uses"].startswith(("actions/checkout@", "actions/upload-artifact@")), step
            if step["uses"].startswith("actions/upload-artifact@"):
                open(os.path.join(out, "github-artifact"), "w").write(step["with"]["path"] + "\n")
assert n >= 2, n

gl = yaml.safe_load(open(os.path.join(src, "gitlab-ci.yml")))
job = gl["escrow-deposit"]
assert job["rules"] == [{"if": "$CI_COMMIT_TAG"}], job["rules"]
lines = job.get("before_script", []) + job["script"]
# GitLab runs a job's lines in one shell, stopping at the first failure.
write("gitlab", 1, "set -e\n" + "\n".join(lines), job.get("variables", {}))
open(os.path.join(out, "gitlab-artifact"), "w").write("\n".join(job["artifacts"]["paths"]) + "\n")
PY

run_steps() { # NAME DIR: every step of NAME in DIR, in order; stops at the first failure
	local s
	for s in "$T"/steps/"$1"-[0-9]*.sh; do
		(cd "$2" && bash -e "$s") >>"$T/$1.log" 2>&1 || return 1
	done
}
verify_kept() { # BUNDLE
	expect_exit 0 "$ESCROW" verify "$1" -p agency.pub -i notary.age -c work-gh/escrow/contract.yaml
	expect_grep '^verdict: verified' out
	expect_grep "^git: +commit $(git -C work-gh rev-parse HEAD), clean; tags v1.2.0\$" out
	expect_grep '^remote: +https://git.agency.example/scoring.git$' out
	expect_true "$1 is sealed" grep -q '(sealed)' "$T/out"
	expect_true "$1 has its detached signature" test -s "$1.minisig"
	expect_true "no credential in the log" sh -c "! grep -q -e s3cr3t -e 'agency passphrase' '$T'/*.log"
}

# GitHub Actions: the key in an environment variable, piped to -s -.
make_repo work-gh
mkdir runner-temp
export SECRET_ESCROW_SIGNING_KEY="$(cat agency.key)" SECRET_ESCROW_KEY_PASSPHRASE="$(cat passphrase.txt)"
export GITHUB_REF_NAME=v1.2.0 GITHUB_RUN_ID=4242 GITHUB_SERVER_URL=https://github.example \
	GITHUB_REPOSITORY=agency/scoring RUNNER_TEMP=$T/runner-temp
checks=$((checks + 1))
run_steps github work-gh || { echo "FAIL: the GitHub Actions steps failed:" >&2; sed 's/^/  /' github.log >&2; fails=$((fails + 1)); }
artifact=$(sed "s#\${{ runner.temp }}#$RUNNER_TEMP#" steps/github-artifact)
expect_true "the artefact folder holds one bundle" test "$(ls "$artifact" | grep -c '\.escrow$')" = 1
verify_kept "$artifact/deposit-1.2.0.escrow"
expect_grep '^meta: +CI-Run: https://github.example/agency/scoring/actions/runs/4242$' out

# GitLab CI: the key and the passphrase in "File" variables (paths to 0600 files).
make_repo work-gl
umask 077
cp agency.key gl-key && cp passphrase.txt gl-pass
umask 022
export ESCROW_SIGNING_KEY=$T/gl-key ESCROW_KEY_PASSPHRASE=$T/gl-pass
export CI_COMMIT_TAG=v1.2.0 CI_PIPELINE_URL=https://gitlab.example/agency/scoring/-/pipelines/77
checks=$((checks + 1))
run_steps gitlab work-gl || { echo "FAIL: the GitLab CI steps failed:" >&2; sed 's/^/  /' gitlab.log >&2; fails=$((fails + 1)); }
expect_true "GitLab keeps deposit/" test "$(cat steps/gitlab-artifact)" = deposit/
expect_true "the artefact folder holds one bundle" test "$(ls work-gl/deposit | grep -c '\.escrow$')" = 1
cp -r work-gl/deposit gl-deposit
git -C work-gh rev-parse HEAD >/dev/null
expect_exit 0 "$ESCROW" verify gl-deposit/deposit-1.2.0.escrow -p agency.pub -i notary.age -c work-gl/escrow/contract.yaml
expect_grep '^verdict: verified' out
expect_grep "^git: +commit $(git -C work-gl rev-parse HEAD), clean; tags v1.2.0\$" out
expect_grep '^meta: +CI-Pipeline: https://gitlab.example/agency/scoring/-/pipelines/77$' out
expect_true "no credential in the log" sh -c "! grep -q -e s3cr3t -e 'agency passphrase' '$T'/*.log"

# An incomplete tree (the runbook deleted at a new tag): the job fails, and
# nothing is kept.
git -C work-gl rm -q docs/runbook.md && git -C work-gl commit -q -m "drop runbook" && git -C work-gl tag v1.3.0
rm -rf work-gl/deposit
export CI_COMMIT_TAG=v1.3.0
: >gitlab.log
checks=$((checks + 1))
if run_steps gitlab work-gl; then
	echo "FAIL: the GitLab job passed on an incomplete tree" >&2
	fails=$((fails + 1))
fi
expect_grep "does not meet contract CI-2026-01" gitlab.log
expect_true "nothing kept from an incomplete tree" test -z "$(ls -A work-gl/deposit)"

finish
