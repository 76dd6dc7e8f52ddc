// The executables of the library-closure tests: each calls one function of a library in
// samples/reslib/ and exits 0 if it got the expected value. Built with -DTAILOR_RES_CHAIN
// they call libtailorresa.so, which needs libtailorresb.so.
#include <stdio.h>

#ifdef TAILOR_RES_CHAIN
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
