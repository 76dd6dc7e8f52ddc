// port80: two things only root may do — bind a port below 1024 and give a file away.
//
// The recorder has to attribute each to its capability from the syscall arguments:
// bind(127.0.0.1:80) -> CAP_NET_BIND_SERVICE, chown(file, 65534, 65534) -> CAP_CHOWN.
//
// tailor-needs: root
// tailor-run: $TMP
// tailor-expect: exit 0
// tailor-expect: syscall x86_64 bind
// tailor-expect: syscall x86_64 chown
// tailor-expect: socket inet stream
// tailor-expect: endpoint bind inet 127.0.0.1 80
// tailor-expect: file $TMP/owned.txt write create chown
// tailor-expect: cap CAP_NET_BIND_SERVICE
// tailor-expect: cap CAP_CHOWN
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: port80 DIR\n");
    return 2;
  }
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons(80);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (s < 0 || bind(s, (struct sockaddr*)&a, sizeof a) != 0) {
    perror("bind 127.0.0.1:80");
    return 1;
  }
  close(s);

  char path[4096];
  snprintf(path, sizeof path, "%s/owned.txt", argv[1]);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || write(fd, "mine\n", 5) != 5) return 3;
  close(fd);
  if (chown(path, 65534, 65534) != 0) {
    perror("chown");
    return 4;
  }
  return 0;
}
