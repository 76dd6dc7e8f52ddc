// pipeline: fork + execve of /bin/sh running a two-command pipeline with a redirection.
//
// Three programs run in four processes (this one, sh, and sh's two children; dash execs tr
// in one child and runs the `echo` builtin in the other). The recorder records executables by
// readlink(/proc/PID/exe), i.e. resolved paths: /bin is a symlink to /usr/bin on Debian 12 and
// /bin/sh is dash, so the shell shows up as /usr/bin/dash.
//
// tailor-run: $TMP
// tailor-expect: exit 0
// tailor-expect: syscall x86_64 clone
// tailor-expect: syscall x86_64 execve
// tailor-expect: syscall x86_64 wait4
// tailor-expect: syscall x86_64 pipe2
// tailor-expect: syscall x86_64 dup2
// tailor-expect: file $TMP/out.txt write create read
// tailor-expect: exec /usr/bin/dash
// tailor-expect: exec /usr/bin/tr
// tailor-expect: exec $SELF
// tailor-expect: peak-processes 3
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: pipeline DIR\n");
    return 2;
  }
  char cmd[4200], out[4096];
  snprintf(out, sizeof out, "%s/out.txt", argv[1]);
  snprintf(cmd, sizeof cmd, "echo hello | tr a-z A-Z > '%s'", out);
  pid_t pid = fork();
  if (pid < 0) return 1;
  if (pid == 0) {
    char* args[] = {"sh", "-c", cmd, NULL};
    execve("/bin/sh", args, environ);
    _exit(127);
  }
  int st = 0;
  if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) return 3;
  // Check the pipeline really ran, so `exit 0` means the recorded run was the intended one.
  int fd = open(out, O_RDONLY | O_CLOEXEC);
  char buf[16] = {0};
  if (fd < 0 || read(fd, buf, sizeof buf - 1) < 0) return 4;
  close(fd);
  return strcmp(buf, "HELLO\n") == 0 ? 0 : 5;
}
