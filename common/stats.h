/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#ifndef EST_STATS_H
#define EST_STATS_H

#include <stddef.h>

/* Summary of a series of per-frame values. Percentiles use the nearest-rank
 * method: the p-th percentile is the smallest value with at least p % of
 * the values at or below it (for n = 100, p1 is the minimum). */
typedef struct EstStatsSummary
{
  size_t n;
  double mean, min, max;
  double p1, p5;
} EstStatsSummary;

/* Summarises values[0..n). Sorts values in place (pass a copy to keep the
 * order). n = 0 gives a summary of zeros. */
void est_stats_summarize (double *values, size_t n, EstStatsSummary * out);

#endif
