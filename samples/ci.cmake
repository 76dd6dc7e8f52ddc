# CI drift sample (samples/ci/, test/test_ci.cpp): one program built twice. ci_app_drift makes
# one syscall (uname) the base build never makes.
tailor_sample(ci_app ci_app.c)
tailor_sample(ci_app_drift ci_app.c FLAGS -DTAILOR_CI_DRIFT)
