# Ansible: the VM deployment path (ansible/). `ansible-test` converges real systemd
# containers; `validate-ansible` lints and syntax-checks without touching any host.

.PHONY: wheel ansible-test validate-ansible

ANSIBLE_ENV := ANSIBLE_CONFIG=$(CURDIR)/ansible/ansible.cfg PATH=$(CURDIR)/$(VENV)/bin:$$PATH
# The Python the target hosts run (Debian 12: CPython 3.11 on x86_64). The wheelhouse is
# downloaded for it explicitly, so the controller's own Python does not matter.
TARGET_PYTHON   ?= 3.11
TARGET_PLATFORM ?= manylinux2014_x86_64

wheel: setup # build the app wheel + a hash-pinned wheelhouse of its serving deps (dist/)
	rm -rf dist/lifecycle_lab-*.whl dist/wheelhouse dist/wheelhouse.tar
	$(UV) build --wheel --out-dir dist
	$(UV) export --frozen --no-default-groups --no-emit-project --format requirements-txt \
		--output-file dist/wheelhouse/requirements.txt >/dev/null
	$(UV) tool run pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
		--python-version $(TARGET_PYTHON) --implementation cp --abi cp$(subst .,,$(TARGET_PYTHON)) \
		--platform $(TARGET_PLATFORM) -r dist/wheelhouse/requirements.txt -d dist/wheelhouse
	@# One reproducible archive (same wheels -> same bytes): one transfer per host, not one per file.
	tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
		-C dist/wheelhouse -cf dist/wheelhouse.tar .
	@ls dist/*.whl dist/wheelhouse/*.whl | wc -l | xargs printf 'wheel: %s wheels in dist/\n'

##@ deliver and deploy

ansible-test: wheel ## converge two fresh systemd containers, prove idempotence and the service
	$(ANSIBLE_ENV) scripts/ansible-test.sh

# ansible-lint (and proof that it bites), the syntax check per inventory, the inventories as
# ansible-inventory resolves them, the role's preflight and the templates Ansible renders held
# against the app all run inside the two test modules, once.
validate-ansible: setup # ansible-lint (production profile, offline), syntax check per inventory, rendered templates vs the app, hadolint
	$(VENV)/bin/hadolint ansible/target/Containerfile
	$(PY) -m pytest -p no:cacheprovider -q tests/infra/test_ansible.py tests/infra/test_ansible_contract.py
