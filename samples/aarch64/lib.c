// An aarch64 shared library for test/test_aarch64.cpp, cross-built by clang and linked by
// ld.lld without any aarch64 libc (-nostdlib: `syscall` and `dlopen` stay undefined, imported
// through the PLT). Read by the analyzer, never run.
//
// What the analyzer must see: exported functions, a call to a local helper (a call-graph edge),
// libc's syscall() called through the PLT with constant numbers (wrapper calls: kill 129,
// getppid 173, gettid 178), a constant file name passed to dlopen, and a local function whose
// address is taken with adrp+add (an edge to it from the function taking it).

long syscall(long nr, ...);
void* dlopen(const char* file, int mode);

// The raw system call with the number in x8; the result in x0.
#define SVC0(nr)                                                \
  ({                                                            \
    register long x8 __asm__("x8") = (nr);                      \
    register long x0 __asm__("x0");                             \
    __asm__ volatile("svc #0" : "=r"(x0) : "r"(x8) : "memory"); \
    x0;                                                         \
  })

// getpid (172) through a local helper: noinline keeps the `bl`.
static __attribute__((noinline)) long raw_getpid(void) {
  return SVC0(172);
}

long lib_getpid(void) {
  return raw_getpid() + 1;
}

long lib_kill(int pid) {
  return syscall(129, pid, 9);
}

long lib_ids(void) {
  return syscall(173) + syscall(178);
}

void* lib_plugin(void) {
  return dlopen("libtailor-plugin.so.1", 2);
}

// sched_yield (124), reachable only through the pointer lib_callback returns.
static long yield_callback(void) {
  return SVC0(124);
}

long (*lib_callback(void))(void) {
  return yield_callback;
}
