# caps: one subcommand per capability inference rule (test/test_cap_rules.cpp).
tailor_sample(caps caps.c)
# The same program for i386, where ids, time and rlimit structs have other layouts and the
# recorder must normalise chown32/setuid32/socketcall before the rules see the call.
if(TAILOR_M32_SAMPLE)
  tailor_sample(caps32 caps.c M32)
endif()
