# `make validate` runs every infrastructure artifact through its ecosystem's validator.
# Each concern adds a `validate-<area>` target in its own mk/ file; this one runs them all.

VALIDATE_TARGETS := $(sort $(filter validate-%,$(shell sed -n 's/^\(validate-[a-z0-9-]*\):.*/\1/p' mk/*.mk)))

##@ test

.PHONY: validate
validate: setup ## every artifact through its real validator (all validate-* targets)
	@for target in $(VALIDATE_TARGETS); do \
		echo "==> $$target"; \
		$(MAKE) $$target || { echo "validate: $$target failed"; exit 1; }; \
	done
