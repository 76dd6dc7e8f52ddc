// thread_exec: a non-leader thread calls execve(2).
//
// The kernel kills every other thread, and the exec'ing thread takes over the thread-group
// leader's pid: a ptrace tracer sees the old tid vanish without an exit stop and
// PTRACE_EVENT_EXEC arrive on the leader's pid (PTRACE_GETEVENTMSG gives the former tid).
// A recorder that mishandles this loses the new program (its file write below) or hangs
// waiting for the vanished thread. The exec'd image exits 7, which must become tailor's
// exit status.
//
// tailor-run: $TMP
// tailor-expect: exit 7
// tailor-expect: syscall x86_64 clone3
// tailor-expect: syscall x86_64 execve
// tailor-expect: file $TMP/exec-child.txt write create
// tailor-expect: exec $SELF
// tailor-expect: peak-threads 2
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern char** environ;
static char self[4096];
static char* dir;

static void* exec_from_thread(void* arg) {
  (void)arg;
  char* args[] = {self, "child", dir, NULL};
  execve(self, args, environ);
  perror("execve");
  _exit(1);
}

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "child") == 0) {
    // The exec'd image: prove it ran by writing a file, then exit with a distinctive code.
    char path[4096];
    snprintf(path, sizeof path, "%s/exec-child.txt", argv[2]);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, "child\n", 6) != 6) return 1;
    close(fd);
    return 7;
  }
  if (argc != 2) return 2;
  dir = argv[1];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return 3;
  self[n] = '\0';
  pthread_t t;
  if (pthread_create(&t, NULL, exec_from_thread, NULL) != 0) return 4;
  // The leader just waits; the exec replaces the whole process before join returns.
  pthread_join(t, NULL);
  return 5;
}
