/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#ifndef EST_SLICETHREAD_H
#define EST_SLICETHREAD_H

/* A fixed pool of worker threads that runs the jobs of one call at a time:
 * est_slice_pool_run (pool, fn, ctx, n) calls fn (ctx, job, thread) for
 * every job in [0, n) and returns when all have finished. The calling thread
 * works too. `thread` is in [0, est_slice_pool_threads ()) and names the
 * thread running the job, so a job may use per-thread scratch memory.
 *
 * Jobs run in no particular order: a caller that needs results independent
 * of the thread count stores per-job results and reduces them in job order. */

typedef struct EstSlicePool EstSlicePool;

typedef void (*EstSliceFunc) (void *ctx, int job, int thread);

/* n_threads: total threads including the caller, >= 1; 0 means one per
 * online CPU. Returns NULL when threads cannot be created. */
EstSlicePool *est_slice_pool_new (int n_threads);

/* Number of threads, caller included (>= 1). */
int est_slice_pool_threads (const EstSlicePool * pool);

/* Runs jobs 0..n_jobs-1. Not re-entrant: one run at a time per pool. */
void est_slice_pool_run (EstSlicePool * pool, EstSliceFunc fn, void *ctx,
    int n_jobs);

/* Joins the workers and frees the pool. NULL is allowed. */
void est_slice_pool_free (EstSlicePool * pool);

#endif
