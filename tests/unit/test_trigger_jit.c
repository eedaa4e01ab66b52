/* The trigger tests again, with the hart on the JIT engine. */
#define HARNESS_ENGINE RV_ENGINE_JIT
#include "test_trigger.c"
