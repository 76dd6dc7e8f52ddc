# Samples for tailor analyze: code paths a test run does not take (see each source).
tailor_sample(untested untested.c)
