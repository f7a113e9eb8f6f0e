// SPDX-License-Identifier: GPL-2.0
/* gm_tracepoints.c: instantiates the events of gm_tracepoints.h. */
#define CREATE_TRACE_POINTS
#include "gm_tracepoints.h"
