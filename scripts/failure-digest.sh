#!/usr/bin/env bash
# What the failed tests in a ctest log said of their failure: each failed test's name, then its
# cmocka failure lines (the message of a fail_msg, the failed assertion and its line, the
# cmocka test a crash ended) and the headlines and summaries of sanitizer reports (24 lines at
# most) or, when it has none of those (a script test), the last lines of its output. The make
# targets print it last when a run fails, so that the end of the output (all a CI summary may
# show) still names the failure.
#
#   scripts/failure-digest.sh LOG [LINES]
#
# LINES (default 8): the lines of a script test's output shown. Prints nothing when LOG holds
# no failed test.
set -euo pipefail

log=${1:?usage: failure-digest.sh LOG [LINES]}
lines=${2:-8}
[ -r "$log" ] || { echo "failure-digest.sh: cannot read $log" >&2; exit 2; }
awk -v lines="$lines" '
	function flush(   i, from) {
		if (name == "" || !failed)
			return
		print "-- " name
		if (run != "")
			print "   ended in " run
		if (nc) {
			for (i = 1; i <= nc && i <= 24; i++)
				print "   " cm[i]
		} else {
			from = n - lines + 1
			for (i = (from > 1 ? from : 1); i <= n; i++)
				print "   " out[i]
		}
	}
	# ctest markers, never inside a test output
	!inout && /^[0-9]+\/[0-9]+ Test: / {
		flush()
		name = $3; failed = 0; n = 0; nc = 0; summary = 0; run = ""
		next
	}
	!inout && /^Output:$/ { inout = 1; next }
	!inout && (/^Test Failed\.$/ || /^Test Fail Reason:$/) { failed = 1; next }
	/^<end of output>$/ { inout = 0; next }
	inout && !/^-+$/ {
		out[++n] = $0
		# cmocka: the test running (a crash leaves it open), a fail_msg message, the failed
		# assertion and its line, the test it ended (not the summary after "N test(s) run",
		# which repeats the names); a sanitizer report headline or summary
		if (/^\[==========\] .* run\.$/)
			summary = 1
		else if (/^\[ RUN      \] /)
			run = $0
		else if (/^\[ +(OK|SKIPPED) +\] /)
			run = ""
		else if (!summary && (/^ERROR: / || /^\[  (ERROR|FAILED) +\] / || /^\[   LINE   \] /))
			cm[++nc] = $0
		else if (/^==[0-9]+==ERROR: / || /^WARNING: ThreadSanitizer/ || /^SUMMARY: [A-Za-z]+Sanitizer/ ||
		         / runtime error: /)
			cm[++nc] = $0
		if (/^\[  FAILED  \] /)
			run = ""
	}
	END { flush() }
' "$log"
