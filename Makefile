# Makefile — the front door for people. Every target installs what is missing first.
#   make reproduce   packages + build + `snakemake --cores all all` -> reports/report.pdf
#   make test        packages + Release and ASan/UBSan builds + ctest + Python tests + workflow
#                    lint, smoke run and table tolerance check + the smoke workflow on a one-node
#                    SLURM (root; LOWBIT_TEST_SLURM=0 leaves it out). This is what CI runs.
#   make test-slurm  the SLURM step alone: the smoke workflow through profiles/slurm on a one-node
#                    SLURM it installs, starts and stops; SLURM_COMPARE=reports/generated also
#                    checks the tables against the local smoke run's
#   make build | bench | clean
#   make fuzz [FUZZ_SECONDS=60]  clang libFuzzer harnesses (tests/fuzz), each run that long
# Debian's python3 is used for everything Python (pyenv's python3, first on PATH here, has no numpy).
SHELL := /bin/bash
export PYENV_VERSION := system
BUILD ?= build
ASAN_BUILD ?= build-asan
CORES ?= all
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60

.PHONY: all deps build build-asan test test-slurm reproduce bench fuzz clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(ASAN_BUILD)/build.ninja:
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	      -DLOWBIT_SANITIZE=ON -DLOWBIT_BENCH=OFF

build-asan: deps $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)

test: build build-asan
	@scripts/run-tests.sh $(BUILD) $(ASAN_BUILD)

test-slurm: deps
	@tests/slurm/run_slurm_smoke.sh $(if $(SLURM_COMPARE),--compare-with $(SLURM_COMPARE))

reproduce: build
	snakemake --cores $(CORES) all
	@echo "reproduce: report at reports/report.pdf"

bench: build
	$(BUILD)/bin/lowbit_bench --benchmark_min_time=0.2

fuzz: deps
	@tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-portable $(FUZZ_BUILD)
