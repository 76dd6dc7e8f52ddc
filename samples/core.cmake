# Core samples: one program per recorder feature (see samples/README.md for what each shows).
tailor_sample(fileio fileio.c)
tailor_sample(threads threads.c LIBS pthread)
tailor_sample(pipeline pipeline.c)
tailor_sample(tcp tcp.c)
tailor_sample(port80 port80.c)
tailor_sample(static static.c STATIC)
tailor_sample(thread_exec thread_exec.c LIBS pthread)
tailor_sample(daemon daemon.c)
tailor_sample(sigsample sigsample.c)
# i386 program (needs gcc-multilib); test_samples skips it when the option is off.
if(TAILOR_M32_SAMPLE)
  tailor_sample(hello32 hello32.c M32)
endif()
