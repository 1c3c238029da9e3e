# openrsp top-level driver. `make test` and `make demo` do all set-up on a fresh Debian machine
# (they call scripts/setup.sh, which installs missing packages with apt-get).
BUILD ?= build
JOBS ?= 2
CMAKE_FLAGS ?=

# ctest for the build directory $(1): at most JOBS tests that keep a core busy at once, with
# the few that mostly wait (tests/CMakeLists.txt, "Scheduling") running beside them.
CTEST_SPEC = {"version":{"major":1,"minor":0},"local":[{"cpus":[{"id":"0","slots":$(JOBS)}]}]}
# A build directory configured without tests (-DORSP_TESTS=OFF, a fuzz build) fails: ctest
# found nothing and passed. A failed run runs $(3) if given, and ends with what each failed
# test said of its failure (scripts/failure-digest.sh; the last run's log is removed first):
# the end of the output is what a CI summary shows.
ctest_run = printf '%s\n' '$(CTEST_SPEC)' >$(1)/ctest-cpus.json && \
	rm -f $(1)/Testing/Temporary/LastTest.log && \
	{ ctest --test-dir $(1) --output-on-failure --no-tests=error -j$$(($(JOBS) + 3)) \
		--resource-spec-file $(abspath $(1))/ctest-cpus.json $(2) || \
	  { $(3) echo "the failed tests, and what they said:"; \
	    scripts/failure-digest.sh $(1)/Testing/Temporary/LastTest.log; false; }; }

.PHONY: all setup build test test-asan test-tsan test-clang test-lto fuzz-smoke lint demo bench format clean ci

all: build

setup:
	@scripts/setup.sh

build: setup
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

# The test suite: gcc -Werror build, every unit and CLI test through ctest.
test: build lint
	@$(call ctest_run,$(BUILD))

# The sanitizer builds: Debug (assert() on) at -O1, as the sanitizers' documentation advises
# for speed; the ASan suite ran in 453 s instead of 527 s at -O0, built in the same time.
SAN_FLAGS = -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_FLAGS_DEBUG="-g -O1"

# The same suite under AddressSanitizer + UndefinedBehaviorSanitizer (clang).
test-asan: setup
	@CC=clang cmake -S . -B $(BUILD)-asan $(SAN_FLAGS) -DORSP_SANITIZE=ON >/dev/null
	@cmake --build $(BUILD)-asan -j$(JOBS)
	@$(call ctest_run,$(BUILD)-asan)

# The suite under ThreadSanitizer (clang), but for the CLI tests labelled single-thread, in
# which every openrsp process runs one thread (no race to find: tests/CMakeLists.txt), then a
# loaded SM-DP+ (four clients, four server threads sharing one database connection) whose
# first race report ends the server and so fails the run. A failed suite shows its first race
# report shortened (scripts/tsan-digest.sh), then what each failed test said (ctest_run); a
# failed bench the server's log and its first report: the end of the output is what a CI
# summary shows.
tsan_first_race = echo "the first race report, shortened:"; \
	scripts/tsan-digest.sh $(BUILD)-tsan/Testing/Temporary/LastTest.log;
test-tsan: setup
	@CC=clang cmake -S . -B $(BUILD)-tsan $(SAN_FLAGS) -DORSP_TSAN=ON >/dev/null
	@cmake --build $(BUILD)-tsan -j$(JOBS)
	@export TSAN_OPTIONS=halt_on_error=1 && \
		$(call ctest_run,$(BUILD)-tsan,-LE single-thread,$(tsan_first_race))
	@TSAN_OPTIONS=halt_on_error=1 ORSP_BENCH_SERVER_LOG=$(BUILD)-tsan/bench-server.log \
		$(BUILD)-tsan/openrsp bench smdp --downloads 300 --clients 4 --plain-http || \
		{ echo "the SM-DP+'s log (race reports end it):"; tail -n 60 $(BUILD)-tsan/bench-server.log; \
		  echo "its first race report, shortened:"; \
		  scripts/tsan-digest.sh $(BUILD)-tsan/bench-server.log; exit 1; }

# Warning-free with clang too (-Werror), and its test run.
test-clang: setup
	@CC=clang cmake -S . -B $(BUILD)-clang -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD)-clang -j$(JOBS)
	@$(call ctest_run,$(BUILD)-clang)

# A release build as Debian and Ubuntu package one (link-time optimisation with fat objects,
# Ubuntu's _FORTIFY_SOURCE=3) at Release's -O3, with -Werror, and a few tests of it: test_core
# (the wiping allocator), test_lpa_e2e (downloads: the SM-DP+ and the LPA in one process) and
# the demo. Until session 74 such a build did not link (the asn1c sets, src/asn1/asn1.cmake),
# then aborted "buffer overflow detected" at each download (src/core/secret.c), and Release did
# not compile with gcc 12. Not the whole suite: a test that replaces the project's own
# functions with -Wl,--wrap does not work under LTO (a call within the optimised program is
# not redirected), e.g. test_seal, test_es2p, test_bsp_bpp, test_isim_app.
LTO_FLAGS = -DCMAKE_BUILD_TYPE=Release -DORSP_TESTS=ON \
	-DCMAKE_C_FLAGS="-flto=auto -ffat-lto-objects -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=3" \
	-DCMAKE_EXE_LINKER_FLAGS="-flto=auto" \
	-DCMAKE_AR="$$(command -v gcc-ar)" -DCMAKE_RANLIB="$$(command -v gcc-ranlib)"
LTO_TESTS = test_core test_lpa_e2e
space := $(subst ,, )
test-lto: setup
	@CC=gcc cmake -S . -B $(BUILD)-lto $(LTO_FLAGS) >/dev/null
	@cmake --build $(BUILD)-lto -j$(JOBS) --target openrsp $(LTO_TESTS)
	@$(call ctest_run,$(BUILD)-lto,-R '^($(subst $(space),|,$(LTO_TESTS))|cli_demo)$$')

# Short libFuzzer runs of every fuzz target (FUZZ_SECONDS each).
FUZZ_SECONDS ?= 30
fuzz-smoke: setup
	@scripts/fuzz-smoke.sh $(BUILD)-fuzz $(FUZZ_SECONDS)

lint:
	@scripts/check-banned.sh

demo: build
	@$(BUILD)/openrsp demo

bench: build
	@$(BUILD)/openrsp bench aka

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

# What CI runs (.ci/run).
ci: test test-lto test-asan test-tsan fuzz-smoke

clean:
	rm -rf $(BUILD) $(BUILD)-asan $(BUILD)-tsan $(BUILD)-clang $(BUILD)-lto $(BUILD)-fuzz
