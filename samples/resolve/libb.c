// libtailorresb.so: the transitive dependency of libtailorresa.so (see liba.c).
int tailorresb_value(void) {
  return 7;
}
