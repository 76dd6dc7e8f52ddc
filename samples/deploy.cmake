# Samples for deployment: programs run in real containers under the flags and filters generated
# from their own recording (test/test_containers.cpp).
tailor_sample(httpd httpd.c)
