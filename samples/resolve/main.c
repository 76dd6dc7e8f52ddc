// The executables of the library-closure tests: each calls one function of a library in
// samples/reslib/ and exits 0 if it got the expected value. Built with -DTAILOR_RES_CHAIN
// they call libtailorresa.so, which needs libtailorresb.so. Built with -DTAILOR_RES_DLOPEN,
// the same call through dlopen("libtailorresa.so"): found, like its libtailorresb.so, only
// through the executable's DT_RPATH.
#include <stdio.h>

#if defined(TAILOR_RES_DLOPEN)
#include <dlfcn.h>
int main(void) {
  void* h = dlopen("libtailorresa.so", RTLD_NOW);
  if (!h) {
    fprintf(stderr, "%s\n", dlerror());
    return 2;
  }
  int (*value)(void) = (int (*)(void))dlsym(h, "tailorresa_value");
  int v = value ? value() : -1;
  printf("%d\n", v);
  return v == 8 ? 0 : 1;
}
#elif defined(TAILOR_RES_CHAIN)
int tailorresa_value(void);
int main(void) {
  int v = tailorresa_value();
  printf("%d\n", v);
  return v == 8 ? 0 : 1;
}
#else
int tailorres_value(void);
int main(void) {
  int v = tailorres_value();
  printf("%d\n", v);
  return v == 42 ? 0 : 1;
}
#endif
