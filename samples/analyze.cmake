# Samples for tailor analyze: code paths a test run does not take (see each source).
tailor_sample(untested untested.c)
# The same program as a position-dependent executable (ET_EXEC, absolute addresses).
tailor_sample(untested_nopie untested.c FLAGS -fno-pie)
target_link_options(untested_nopie PRIVATE -no-pie)
# A constant table in .text that a linear disassembler reads as an i386 syscall.
tailor_sample(text_table text_table.c)
