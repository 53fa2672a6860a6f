# K-SISS autoscaler. `make help` lists the targets.
# Image: override with `make build push IMAGE=registry.example.com/k-siss-autoscaler:1.2.3`.
# The image configuration.yaml names; `make deploy IMAGE=...` substitutes it before applying.
MANIFEST_IMAGE := ghcr.io/k-siss/k-siss-autoscaler:0.1.0
IMAGE ?= $(MANIFEST_IMAGE)
KSISS_CACHE ?= $(HOME)/.cache/k-siss
# kubectl: the one built for the local cluster if present, else the one on PATH. Without any kubectl,
# deploy/undeploy use our own server-side-apply script (demo/apply-manifests.ts) with the current kubeconfig.
KUBECTL ?= $(firstword $(wildcard $(KSISS_CACHE)/kubernetes-*/bin/kubectl) $(shell command -v kubectl 2>/dev/null))
FIELD_MANAGER ?= k-siss-deploy
MANIFESTS := policy/crd.yaml configuration.yaml
TSX := npx --no-install tsx
# The write verbs are bound per watched namespace: one copy of namespace-rbac.yaml's Role and RoleBinding
# in every namespace of the ConfigMap's `_global.namespaces` (override with NAMESPACES=a,b).
NAMESPACES ?=
RBAC_ARGS := --namespace-rbac namespace-rbac.yaml $(if $(strip $(NAMESPACES)),--namespaces $(NAMESPACES))
# configuration.yaml with the image and the per-namespace RBAC, as YAML for kubectl.
RENDER := $(TSX) demo/apply-manifests.ts render --image $(IMAGE) $(RBAC_ARGS) configuration.yaml

.PHONY: help deps compile build push deploy undeploy run test demo cluster-up cluster-down clean

# npm packages from the lockfile, reinstalled only when it changed.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  %-13s %s\n", $$1, $$2}'

deps: node_modules/.package-lock.json ## install what the local cluster needs: npm packages, prometheus, openssl
	bash local-cluster/install-deps.sh

compile: node_modules/.package-lock.json ## compile TypeScript to dist/ (npm run build)
	npm run build

build: ## build the container image IMAGE (needs a Docker engine)
	docker build -t $(IMAGE) .

push: ## push the image IMAGE
	docker push $(IMAGE)

deploy: ## apply the policy CRD, configuration.yaml (image IMAGE) and the RBAC of each watched namespace (server-side apply; idempotent)
ifneq ($(strip $(KUBECTL)),)
	$(KUBECTL) apply --server-side --force-conflicts --field-manager=$(FIELD_MANAGER) -f policy/crd.yaml
	$(KUBECTL) wait --for=condition=Established --timeout=60s crd/aiinferenceautoscalerpolicies.autoscaling.k-siss.io
	@rendered=$$(mktemp) && trap 'rm -f "$$rendered"' EXIT && $(RENDER) > "$$rendered" \
	  && $(KUBECTL) apply --server-side --force-conflicts --field-manager=$(FIELD_MANAGER) -f "$$rendered"
else
	$(TSX) demo/apply-manifests.ts apply --image $(IMAGE) $(RBAC_ARGS) $(MANIFESTS)
endif

undeploy: ## delete what deploy applied (the ConfigMap, the per-namespace RBAC and policies go with them)
ifneq ($(strip $(KUBECTL)),)
	@rendered=$$(mktemp) && trap 'rm -f "$$rendered"' EXIT && $(RENDER) > "$$rendered" \
	  && $(KUBECTL) delete --ignore-not-found -f "$$rendered"
	$(KUBECTL) delete --ignore-not-found -f policy/crd.yaml
else
	$(TSX) demo/apply-manifests.ts delete $(RBAC_ARGS) $(MANIFESTS)
endif

run: node_modules/.package-lock.json ## run the controller out of cluster with the current kubeconfig (pass flags with ARGS="...")
	$(TSX) cli/main.ts run $(ARGS)

test: ## the full test suite (type-check, lint, unit, integration against the local cluster)
	bash scripts/test.sh

demo: deps ## the live demo: local cluster + Knative + emulated workload, a load ramp, a timeline (DEMO_ARGS="--keep")
	$(TSX) demo/run-demo.ts $(DEMO_ARGS)

cluster-up: deps ## start the local cluster (etcd, apiserver, kwok GPU nodes, Knative, Prometheus, emulator)
	$(TSX) local-cluster/main.ts up

cluster-down: node_modules/.package-lock.json ## stop the local cluster
	$(TSX) local-cluster/main.ts down

clean: ## remove build output
	rm -rf dist coverage
