/* The public headers as strict ISO C11 (-std=c11 -pedantic -Werror, no
 * _POSIX_C_SOURCE): see headers.cmake. */
#include "headers_use.h"

int headers_c(ct_recorder *r, uint64_t ts);
int headers_c(ct_recorder *r, uint64_t ts) {
    hu_record(r, ts);
    return (int)hu_schemas(1)->nevents;
}
