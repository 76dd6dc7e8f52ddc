// aarch64 syscall sites for test/test_aarch64.cpp: cross-compiled by clang to an object file
// (no aarch64 headers, libraries or linker needed) and read by the analyzer, never run.
//
// Each function is one case of the analyzer's backward propagation of x8 (the syscall number
// register on aarch64): a constant, a wrapper taking the number as its first argument (libc's
// syscall() convention: `mov x8, x0`) called with constants, a site reached on two paths with
// two numbers, and a number loaded from memory, which must stay unresolved.
//
// Numbers (asm-generic table): read 63, close 57, write 64, getpid 172, exit_group 94,
// openat 56, faccessat 48.

// The raw system call with the number in x8 and up to three arguments in x0..x2.
#define SVC3(nr_expr, a0, a1, a2)                                                 \
  ({                                                                              \
    register long x8 __asm__("x8") = (nr_expr);                                   \
    register long x0 __asm__("x0") = (long)(a0);                                  \
    register long x1 __asm__("x1") = (long)(a1);                                  \
    register long x2 __asm__("x2") = (long)(a2);                                  \
    __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory"); \
    x0;                                                                           \
  })

long do_write(const char* s, long n) {
  return SVC3(64, 1, s, n);
}

long do_getpid(void) {
  return SVC3(172, 0, 0, 0);
}

void do_exit_group(int code) {
  SVC3(94, code, 0, 0);
  __builtin_unreachable();
}

// A wrapper: the number arrives in x0 and moves to x8 (libc's syscall()). static and noinline
// so that clang neither inlines it into its callers nor leaves the calls to relocations: in the
// object file the callers' branches (tail calls, `b`) name the wrapper itself.
static __attribute__((noinline)) long my_syscall(long nr, long a, long b, long c) {
  return SVC3(nr, a, b, c);
}

long wrapped_read(char* buf, long n) {
  return my_syscall(63, 0, (long)buf, n);
}

long wrapped_close(int fd) {
  return my_syscall(57, fd, 0, 0);
}

// One `svc` reached on two paths, each giving x8 its own constant. The empty asm in each branch
// keeps clang from turning the choice into a csel (which the analyzer cannot follow).
long two_paths(int which, const char* path) {
  register long x8 __asm__("x8");
  if (which) {
    x8 = 56;
    __asm__ volatile("" : "+r"(x8));
  } else {
    x8 = 48;
    __asm__ volatile("" : "+r"(x8));
  }
  register long x0 __asm__("x0") = -100;
  register long x1 __asm__("x1") = (long)path;
  register long x2 __asm__("x2") = 0;
  __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
  return x0;
}

// The number comes from memory: not a constant the analyzer can see.
long from_memory(const volatile long* table) {
  return SVC3(table[3], 0, 0, 0);
}
