// threads: four pthreads that each make a few syscalls and meet at a barrier.
//
// The barrier guarantees futex(2) calls (a thread that arrives early sleeps in FUTEX_WAIT, the
// last one wakes it); pthread_join alone may not call futex if the thread has already exited.
// glibc 2.36 creates threads with clone3(2).
//
// tailor-run:
// tailor-expect: exit 0
// tailor-expect: syscall x86_64 clone3
// tailor-expect: syscall x86_64 futex
// tailor-expect: syscall x86_64 set_robust_list
// tailor-expect: syscall x86_64 rseq
// tailor-expect: syscall x86_64 getpid
// tailor-expect: syscall x86_64 gettid
// tailor-expect: syscall x86_64 write
// tailor-expect: syscall x86_64 clock_nanosleep
// tailor-expect: syscall x86_64 exit
// tailor-expect: syscall x86_64 exit_group
// tailor-expect: file /dev/null write
// tailor-expect: peak-threads 5
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

enum { kThreads = 4 };
static pthread_barrier_t barrier;

static void* worker(void* arg) {
  int* ok = arg;
  // Every thread is alive at the barrier, so peak_threads must reach kThreads + 1.
  pthread_barrier_wait(&barrier);
  int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  char line[64];
  int n = snprintf(line, sizeof line, "pid %d tid %d\n", (int)getpid(), (int)gettid());
  if (fd >= 0 && write(fd, line, (size_t)n) == n) *ok = 1;
  if (fd >= 0) close(fd);
  struct timespec ts = {0, 5 * 1000 * 1000};
  nanosleep(&ts, NULL);
  pthread_barrier_wait(&barrier);
  return NULL;
}

int main(void) {
  pthread_t t[kThreads];
  int ok[kThreads] = {0};
  pthread_barrier_init(&barrier, NULL, kThreads + 1);
  for (int i = 0; i < kThreads; ++i)
    if (pthread_create(&t[i], NULL, worker, &ok[i]) != 0) return 1;
  pthread_barrier_wait(&barrier);
  pthread_barrier_wait(&barrier);
  for (int i = 0; i < kThreads; ++i) pthread_join(t[i], NULL);
  for (int i = 0; i < kThreads; ++i)
    if (!ok[i]) return 3;
  return 0;
}
