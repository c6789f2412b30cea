# Thin wrapper over CMake. `make run` runs the main job (the whole test ROM
# suite through the flight-recording runner), `make test` runs every test.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=
PREFIX     ?= /usr/local

.PHONY: all deps configure run test test-asan asan bench fuzz format clean install

all: configure
	cmake --build $(BUILD) -j $(JOBS)

deps:
	@scripts/deps.sh

configure: deps
	@test -f $(BUILD)/CMakeCache.txt || cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

run: all
	$(BUILD)/bin/ceres test

test: all
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

asan: deps
	@test -f $(ASAN_BUILD)/CMakeCache.txt || cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCERES_SANITIZE=ON
	cmake --build $(ASAN_BUILD) -j $(JOBS)

test-asan: asan
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS)

# libFuzzer targets (clang, ASan+UBSan), each run for FUZZ_SECONDS; crashers
# land in $(FUZZ_BUILD)/crashes/<target>/ (keep fixed ones in fuzz/regressions/).
fuzz: deps
	@test -f $(FUZZ_BUILD)/CMakeCache.txt || CC=clang cmake -S . -B $(FUZZ_BUILD) \
	  -DCERES_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target ceres fuzz_rom fuzz_ctrace fuzz_filter fuzz_trigger fuzz_state fuzz_text
	FUZZ_SECONDS=$(FUZZ_SECONDS) fuzz/run.sh $(FUZZ_BUILD)

# Install the program, libraries, headers, package files, suites, man page
# and completions under PREFIX (DESTDIR is honoured for staging).
install: all
	cmake --install $(BUILD) --prefix $(PREFIX)

bench: all
	@scripts/deps.sh --bench
	$(BUILD)/bin/ceres bench --json $(BUILD)/bench.json

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
