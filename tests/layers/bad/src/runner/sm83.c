#include "../gb/gb_internal.h"

static void verdict(struct ct_recorder *rec, unsigned long long cycles) {
    CT_EMIT(rec->flags, rec, rn_, TEST_END, cycles, 0);
}
