// tcp: a TCP server on 127.0.0.1:47123 and a forked client that talks to it, plus a UDP
// datagram and a bound unix socket, so one recording shows every endpoint op.
//
// The port is fixed (with SO_REUSEADDR against TIME_WAIT leftovers) so the expectations can
// name it; nothing else in the test suite uses 47123/47124.
//
// tailor-run: $TMP
// tailor-expect: exit 0
// tailor-expect: syscall x86_64 socket
// tailor-expect: syscall x86_64 setsockopt
// tailor-expect: syscall x86_64 bind
// tailor-expect: syscall x86_64 listen
// tailor-expect: syscall x86_64 accept
// tailor-expect: syscall x86_64 connect
// tailor-expect: syscall x86_64 sendto
// tailor-expect: syscall x86_64 recvfrom
// tailor-expect: socket inet stream
// tailor-expect: socket inet dgram
// tailor-expect: socket unix dgram
// tailor-expect: endpoint bind inet 127.0.0.1 47123
// tailor-expect: endpoint listen inet 127.0.0.1 47123
// tailor-expect: endpoint connect inet 127.0.0.1 47123
// tailor-expect: endpoint sendto inet 127.0.0.1 47124
// tailor-expect: endpoint bind unix $TMP/sock 0
// tailor-expect: file $TMP/sock bind
// tailor-expect: peak-processes 2
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

enum { kPort = 47123, kUdpPort = 47124 };

static struct sockaddr_in loopback(int port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

static int client(void) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = loopback(kPort);
  if (s < 0 || connect(s, (struct sockaddr*)&a, sizeof a) != 0) return 10;
  if (send(s, "ping", 4, 0) != 4) return 11;
  char buf[8] = {0};
  if (recv(s, buf, sizeof buf - 1, 0) != 4 || strcmp(buf, "pong") != 0) return 12;
  close(s);
  return 0;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: tcp DIR\n");
    return 2;
  }
  int srv = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(srv, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = loopback(kPort);
  if (srv < 0 || bind(srv, (struct sockaddr*)&a, sizeof a) != 0 || listen(srv, 4) != 0) {
    perror("bind/listen 127.0.0.1:47123");
    return 1;
  }
  // Fork after listen(), so the client's connect cannot race the server.
  pid_t pid = fork();
  if (pid == 0) _exit(client());
  int c = accept(srv, NULL, NULL);
  char buf[8] = {0};
  if (c < 0 || recv(c, buf, sizeof buf - 1, 0) != 4 || strcmp(buf, "ping") != 0) return 3;
  if (send(c, "pong", 4, 0) != 4) return 4;
  close(c);
  int st = 0;
  if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) return 5;
  close(srv);

  // A UDP datagram nobody receives: sendto on an unconnected socket is its own endpoint op.
  int u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in ua = loopback(kUdpPort);
  if (u < 0 || sendto(u, "x", 1, 0, (struct sockaddr*)&ua, sizeof ua) != 1) return 6;
  close(u);

  // A unix socket bound to a path creates a socket file there.
  int us = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un sun;
  memset(&sun, 0, sizeof sun);
  sun.sun_family = AF_UNIX;
  snprintf(sun.sun_path, sizeof sun.sun_path, "%s/sock", argv[1]);
  if (us < 0 || bind(us, (struct sockaddr*)&sun, sizeof sun) != 0) return 7;
  close(us);
  unlink(sun.sun_path);
  return 0;
}
