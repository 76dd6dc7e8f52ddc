// httpd: a tiny HTTP/1.0 server, the deployment tests' stand-in for lighttpd. It listens on
// ADDR:PORT (default 0.0.0.0), answers every request with "tailor-httpd N", appends one line per
// request to LOGDIR/access.log (a log directory outside temp dirs, as /var/log/lighttpd is: the
// hardening flags must give it a volume, or the write fails under --read-only), and exits 0 on
// SIGTERM (also as a container's pid 1, which only gets signals it handles) or after COUNT
// requests (0: no limit). It does not create LOGDIR: like most daemons it expects it to exist.
//
//   httpd PORT LOGDIR [ADDR [COUNT]]
//   httpd --selftest PORT LOGDIR    serve one request on 127.0.0.1:PORT from a forked client
//
// The selftest (what test/test_samples.cpp records) uses a fixed port that nothing else in the
// test suite uses; test/test_containers.cpp runs the server proper on a random one.
//
// tailor-run: --selftest 47125 $TMP
// tailor-expect: exit 0
// tailor-expect: syscall x86_64 rt_sigaction
// tailor-expect: syscall x86_64 bind
// tailor-expect: syscall x86_64 listen
// tailor-expect: syscall x86_64 accept
// tailor-expect: socket inet stream
// tailor-expect: endpoint bind inet 127.0.0.1 47125
// tailor-expect: endpoint listen inet 127.0.0.1 47125
// tailor-expect: endpoint connect inet 127.0.0.1 47125
// tailor-expect: file $TMP/access.log write create
// tailor-expect: peak-processes 2
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig) {
  (void)sig;
  stop = 1;
}

static int client(int port) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (s < 0 || connect(s, (struct sockaddr*)&a, sizeof a) != 0) return 10;
  const char req[] = "GET / HTTP/1.0\r\n\r\n";
  if (write(s, req, sizeof req - 1) != (ssize_t)(sizeof req - 1)) return 11;
  char buf[256];
  ssize_t n, total = 0;
  while ((n = read(s, buf + total, sizeof buf - 1 - total)) > 0) total += n;
  buf[total] = 0;
  return strstr(buf, "tailor-httpd 1") ? 0 : 12;
}

int main(int argc, char** argv) {
  int selftest = argc == 4 && strcmp(argv[1], "--selftest") == 0;
  if (selftest) ++argv, --argc;
  if (argc < 3 || argc > 5) {
    fprintf(stderr, "usage: httpd PORT LOGDIR [ADDR [COUNT]] | httpd --selftest PORT LOGDIR\n");
    return 2;
  }
  const int port = atoi(argv[1]);
  const char* addr = selftest ? "127.0.0.1" : argc > 3 ? argv[3] : "0.0.0.0";
  const long count = selftest ? 1 : argc > 4 ? atol(argv[4]) : 0;

  // No SA_RESTART: SIGTERM must interrupt accept() so the loop can end.
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_term;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);

  char path[4096];
  snprintf(path, sizeof path, "%s/access.log", argv[2]);
  int log = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (log < 0) {
    perror(path);
    return 1;
  }
  int srv = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(srv, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  if (srv < 0 || inet_pton(AF_INET, addr, &a.sin_addr) != 1 ||
      bind(srv, (struct sockaddr*)&a, sizeof a) != 0 || listen(srv, 16) != 0) {
    fprintf(stderr, "httpd: cannot listen on %s:%d: %s\n", addr, port, strerror(errno));
    return 1;
  }
  fprintf(stderr, "httpd: listening on %s:%d\n", addr, port);
  pid_t child = -1;
  if (selftest) {  // after listen(), so the client cannot race the server
    child = fork();
    if (child == 0) _exit(client(port));
  }
  long served = 0;
  while (!stop && (count == 0 || served < count)) {
    int c = accept(srv, NULL, NULL);
    if (c < 0) {
      if (errno == EINTR) continue;
      perror("accept");
      return 1;
    }
    // Read the whole request head: closing a socket with unread data makes the kernel answer
    // with a reset, which can destroy the response before the client has read it.
    char req[1024];
    size_t got = 0;
    ssize_t n;
    req[0] = 0;
    while (got < sizeof req - 1 && !strstr(req, "\r\n\r\n") &&
           (n = read(c, req + got, sizeof req - 1 - got)) > 0) {
      got += (size_t)n;
      req[got] = 0;
    }
    ++served;
    char line[1100];
    int len = snprintf(line, sizeof line, "%ld %.*s\n", served, (int)strcspn(req, "\r\n"), req);
    if (write(log, line, (size_t)len) != len) {
      perror("write access.log");
      return 1;
    }
    char resp[128];
    len = snprintf(resp, sizeof resp,
                   "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\ntailor-httpd %ld\n", served);
    if (write(c, resp, (size_t)len) != len) perror("write response");
    close(c);
  }
  close(srv);
  close(log);
  if (child > 0) {
    int st = 0;
    if (waitpid(child, &st, 0) != child || !WIFEXITED(st) || WEXITSTATUS(st) != 0) return 3;
  }
  return 0;
}
