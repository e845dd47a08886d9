/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int
compare_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
percentile (const double *sorted, size_t n, double p)
{
  size_t rank = (size_t) ceil (p / 100.0 * (double) n);
  if (rank < 1)
    rank = 1;
  return sorted[rank - 1];
}

void
est_stats_summarize (double *values, size_t n, EstStatsSummary * out)
{
  memset (out, 0, sizeof (*out));
  if (n == 0)
    return;

  qsort (values, n, sizeof (double), compare_double);
  double sum = 0.0;
  for (size_t i = 0; i < n; i++)
    sum += values[i];
  out->n = n;
  out->mean = sum / (double) n;
  out->min = values[0];
  out->max = values[n - 1];
  out->p1 = percentile (values, n, 1.0);
  out->p5 = percentile (values, n, 5.0);
}
