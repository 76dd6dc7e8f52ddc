// daemon: the classic double fork. The original process and the intermediate child both exit
// at once; the grandchild (in its own session, stdio on /dev/null, reparented away from the
// recorder's child) writes a file ~200 ms later. The recorder must keep tracing until that
// grandchild exits: `exists` checks the file is there when tailor returns, and the `file`
// line checks the grandchild's write was recorded.
//
// tailor-run: $TMP
// tailor-expect: exit 0
// tailor-expect: syscall x86_64 clone
// tailor-expect: syscall x86_64 setsid
// tailor-expect: syscall x86_64 clock_nanosleep
// tailor-expect: syscall x86_64 dup2
// tailor-expect: file $TMP/daemon.txt write create
// tailor-expect: file /dev/null read write
// tailor-expect: exists $TMP/daemon.txt
// tailor-expect: peak-processes 3
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  pid_t pid = fork();
  if (pid < 0) return 1;
  if (pid > 0) {
    // Reap the intermediate child so it is gone before we exit; the grandchild lives on.
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 3;
  }
  if (setsid() < 0) _exit(4);
  pid = fork();
  if (pid < 0) _exit(5);
  if (pid > 0) _exit(0);
  // Grandchild: detach stdio like a real daemon (so nothing but tailor itself waits for it).
  int null = open("/dev/null", O_RDWR);
  if (null < 0) _exit(6);
  dup2(null, 0);
  dup2(null, 1);
  dup2(null, 2);
  if (null > 2) close(null);
  struct timespec ts = {0, 200 * 1000 * 1000};
  nanosleep(&ts, NULL);
  char path[4096];
  snprintf(path, sizeof path, "%s/daemon.txt", argv[1]);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || write(fd, "daemon\n", 7) != 7) _exit(7);
  close(fd);
  _exit(0);
}
