// sigsample: exit statuses and signals, for the tests of tailor's own exit status and signal
// forwarding. Interface (other tests rely on it exactly):
//   sigsample exit N   exit with status N
//   sigsample kill SIG kill itself with signal SIG (a number, or a name like TERM / SIGTERM)
//   sigsample wait     catch SIGTERM, SIGINT and SIGUSR1; on receipt of signal N print
//                      "got N\n" to stdout and exit N+100. Gives up after 30 s (exit 99) so a
//                      lost signal fails a test instead of hanging it.
//
// tailor-run: exit 3
// tailor-expect: exit 3
// tailor-expect: syscall x86_64 exit_group
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void on_signal(int sig) {
  // Only async-signal-safe calls here: format by hand, write(2), _exit(2).
  char buf[32] = "got ";
  int n = 4;
  char digits[12];
  int d = 0;
  for (int v = sig; v > 0 || d == 0; v /= 10) digits[d++] = (char)('0' + v % 10);
  while (d > 0) buf[n++] = digits[--d];
  buf[n++] = '\n';
  ssize_t ignored = write(1, buf, (size_t)n);
  (void)ignored;
  _exit(sig + 100);
}

static int parse_signal(const char* s) {
  static const struct {
    const char* name;
    int sig;
  } kNames[] = {{"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"ABRT", SIGABRT},
                {"KILL", SIGKILL}, {"SEGV", SIGSEGV}, {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},
                {"TERM", SIGTERM}, {"USR1", SIGUSR1}, {"USR2", SIGUSR2}};
  char* end = NULL;
  long v = strtol(s, &end, 10);
  if (end != s && *end == '\0') return (int)v;
  if (strncmp(s, "SIG", 3) == 0) s += 3;
  for (size_t i = 0; i < sizeof kNames / sizeof kNames[0]; ++i)
    if (strcmp(s, kNames[i].name) == 0) return kNames[i].sig;
  return -1;
}

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "exit") == 0) return atoi(argv[2]);
  if (argc == 3 && strcmp(argv[1], "kill") == 0) {
    int sig = parse_signal(argv[2]);
    if (sig <= 0) {
      fprintf(stderr, "sigsample: bad signal %s\n", argv[2]);
      return 2;
    }
    // Default action, unblocked, even if the parent left it ignored or blocked.
    signal(sig, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    kill(getpid(), sig);
    return 1;  // only reached for signals whose default action is to ignore
  }
  if (argc == 2 && strcmp(argv[1], "wait") == 0) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    const int sigs[] = {SIGTERM, SIGINT, SIGUSR1};
    sigset_t set;
    sigemptyset(&set);
    for (int i = 0; i < 3; ++i) {
      sigaction(sigs[i], &sa, NULL);
      sigaddset(&set, sigs[i]);
    }
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    // nanosleep in slices: a caught signal runs the handler, which exits.
    for (int i = 0; i < 300; ++i) {
      struct timespec ts = {0, 100 * 1000 * 1000};
      nanosleep(&ts, NULL);
    }
    fprintf(stderr, "sigsample: no signal within 30 s\n");
    return 99;
  }
  fprintf(stderr, "usage: sigsample exit N | kill SIG | wait\n");
  return 2;
}
