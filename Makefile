# The functions' builds, run by `sam build` (BuildMethod: makefile; target build-<LogicalId>,
# output in $(ARTIFACTS_DIR)). Each target builds one crate with cargo-lambda, so a function
# holds only its own code (no test features), for ARCH (arm64 by default, as in the
# template). SAM does not pass the template's Architecture to a makefile build: ARCH must
# match it, which infra/sam-build.sh sees to (ARCH=… infra/sam-build.sh sets both).
ARCH ?= arm64
ROOT := $(dir $(abspath $(lastword $(MAKEFILE_LIST))))
LAMBDA_FLAG := $(if $(filter x86_64,$(ARCH)),--x86-64,--arm64)

# $(1): package, $(2): binary
define lambda
	cargo lambda build --release $(LAMBDA_FLAG) --manifest-path $(ROOT)Cargo.toml -p $(1) --bin $(2)
	cp $(ROOT)target/lambda/$(2)/bootstrap $(ARTIFACTS_DIR)/bootstrap
endef

.PHONY: build-ApiFunction build-IngestFunction build-DeliveryFunction build-CountersFunction \
	build-SweepFunction
build-ApiFunction:
	$(call lambda,webhooks-api-fn,webhooks-api)
build-IngestFunction:
	$(call lambda,webhooks-ingest-fn,webhooks-ingest)
build-DeliveryFunction:
	$(call lambda,webhooks-delivery-fn,webhooks-delivery)
build-CountersFunction:
	$(call lambda,webhooks-counters-fn,webhooks-counters)
build-SweepFunction:
	$(call lambda,webhooks-sweep-fn,webhooks-sweep)
