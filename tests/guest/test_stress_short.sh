#!/bin/sh
# KTAP: a 30-second run of the concurrency stress (gmem-stress,
# tests/guest/stress_concurrency.c; `make stress` runs it for minutes):
# shadow-checked CPU and device traffic on two devices, with copies in
# flight on the copy engines, munmap races and policy swaps. Short as it
# is, it found a stall of the simulated copy engines (a channel waiting for
# a copy the workqueue had not started, 2026-12-07: device jobs failed with
# -ENOMEM within 30 s, hung tasks later) that no targeted test showed, and
# a device job of one process failing with -ENOMEM when munmap of another
# object raced a fault making room (CI, 2026-12-07; since then test_lifetime
# munmap_while_faults_make_room).
exec env GMEM_STRESS=1 GMEM_STRESS_SECS=30 gmem-stress
