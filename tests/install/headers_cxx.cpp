// The public headers as C++17 and C++20 (-pedantic -Werror): see
// headers.cmake.
#include "headers_use.h"

#include <type_traits>

static_assert(std::is_standard_layout<ct_ring>::value, "ct_ring is a C struct");

int headers_cxx(ct_recorder *r, uint64_t ts);
int headers_cxx(ct_recorder *r, uint64_t ts) {
    hu_record(r, ts);
    return static_cast<int>(hu_schemas(1)->nevents);
}
