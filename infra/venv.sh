# Sourced by the test and bench commands: the pinned Python tools (infra/requirements-test.txt)
# in an ignored ./.venv, re-created when the pins change.
if [ ! -x .venv/bin/python ] || ! cmp -s infra/requirements-test.txt .venv/.requirements; then
  echo "== setting up .venv (infra/requirements-test.txt)"
  rm -rf .venv
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -r infra/requirements-test.txt
  cp infra/requirements-test.txt .venv/.requirements
fi
