/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Copyright (C) 2026 Estuary contributors */

#include "slicethread.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

typedef struct Worker
{
  EstSlicePool *pool;
  int index;
  pthread_t thread;
} Worker;

struct EstSlicePool
{
  int n_threads;
  Worker *workers;              /* n_threads - 1 of them */

  pthread_mutex_t lock;
  pthread_cond_t work_cond;     /* a new run started, or quit */
  pthread_cond_t done_cond;     /* a worker finished its part of the run */

  /* State of the current run, guarded by lock. */
  unsigned generation;
  EstSliceFunc fn;
  void *ctx;
  int n_jobs;
  int next_job;
  int busy_workers;
  int quit;
};

/* Takes jobs until none are left. Called with the lock held; returns with
 * it held. */
static void
run_jobs (EstSlicePool * pool, int thread)
{
  while (pool->next_job < pool->n_jobs) {
    int job = pool->next_job++;
    EstSliceFunc fn = pool->fn;
    void *ctx = pool->ctx;
    pthread_mutex_unlock (&pool->lock);
    fn (ctx, job, thread);
    pthread_mutex_lock (&pool->lock);
  }
}

static void *
worker_main (void *data)
{
  Worker *w = data;
  EstSlicePool *pool = w->pool;
  unsigned seen = 0;

  pthread_mutex_lock (&pool->lock);
  for (;;) {
    while (!pool->quit && pool->generation == seen)
      pthread_cond_wait (&pool->work_cond, &pool->lock);
    if (pool->quit)
      break;
    seen = pool->generation;
    run_jobs (pool, w->index);
    if (--pool->busy_workers == 0)
      pthread_cond_signal (&pool->done_cond);
  }
  pthread_mutex_unlock (&pool->lock);
  return NULL;
}

EstSlicePool *
est_slice_pool_new (int n_threads)
{
  if (n_threads <= 0) {
    long n = sysconf (_SC_NPROCESSORS_ONLN);
    n_threads = n > 0 ? (int) n : 1;
  }
  if (n_threads > 256)
    n_threads = 256;

  EstSlicePool *pool = calloc (1, sizeof (*pool));
  if (!pool)
    return NULL;
  pool->n_threads = 1;
  pthread_mutex_init (&pool->lock, NULL);
  pthread_cond_init (&pool->work_cond, NULL);
  pthread_cond_init (&pool->done_cond, NULL);

  pool->workers = calloc ((size_t) n_threads, sizeof (Worker));
  if (!pool->workers) {
    est_slice_pool_free (pool);
    return NULL;
  }
  for (int i = 1; i < n_threads; i++) {
    Worker *w = &pool->workers[i - 1];
    w->pool = pool;
    w->index = i;
    if (pthread_create (&w->thread, NULL, worker_main, w) != 0) {
      est_slice_pool_free (pool);
      return NULL;
    }
    pool->n_threads++;
  }
  return pool;
}

int
est_slice_pool_threads (const EstSlicePool * pool)
{
  return pool->n_threads;
}

void
est_slice_pool_run (EstSlicePool * pool, EstSliceFunc fn, void *ctx, int n_jobs)
{
  if (n_jobs <= 0)
    return;
  if (pool->n_threads == 1 || n_jobs == 1) {
    for (int j = 0; j < n_jobs; j++)
      fn (ctx, j, 0);
    return;
  }

  pthread_mutex_lock (&pool->lock);
  pool->fn = fn;
  pool->ctx = ctx;
  pool->n_jobs = n_jobs;
  pool->next_job = 0;
  pool->busy_workers = pool->n_threads - 1;
  pool->generation++;
  pthread_cond_broadcast (&pool->work_cond);

  run_jobs (pool, 0);
  while (pool->busy_workers > 0)
    pthread_cond_wait (&pool->done_cond, &pool->lock);
  pool->fn = NULL;
  pool->ctx = NULL;
  pthread_mutex_unlock (&pool->lock);
}

void
est_slice_pool_free (EstSlicePool * pool)
{
  if (!pool)
    return;

  pthread_mutex_lock (&pool->lock);
  pool->quit = 1;
  pthread_cond_broadcast (&pool->work_cond);
  pthread_mutex_unlock (&pool->lock);
  for (int i = 1; i < pool->n_threads; i++)
    pthread_join (pool->workers[i - 1].thread, NULL);

  pthread_cond_destroy (&pool->work_cond);
  pthread_cond_destroy (&pool->done_cond);
  pthread_mutex_destroy (&pool->lock);
  free (pool->workers);
  free (pool);
}
