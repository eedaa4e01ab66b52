/* The mmu tests again, with the hart on the JIT engine: both engines must agree. */
#define HARNESS_ENGINE RV_ENGINE_JIT
#include "test_mmu.c"
