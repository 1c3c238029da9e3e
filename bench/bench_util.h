/* Helpers shared by the benchmarks (bench/bench_util.c): a thread's CPU clock, the median of a
 * round's results, and pinning the process to the CPU it runs on. */
#ifndef ORSP_BENCH_UTIL_H
#define ORSP_BENCH_UTIL_H

/* CPU seconds of the calling thread (time the VM or the scheduler gave to others does not
 * count, as in the /proc CPU times a benchmark compares it with). */
double bench_thread_cpu_s(void);
/* Median of v[0..n-1] (sorts v in place). */
double bench_median(double *v, int n);
/* Stay on the current CPU so that every measurement sees the same core; the CPU number, or
 * -1 if pinning failed (the benchmark then runs unpinned). */
int bench_pin_cpu(void);

#endif
