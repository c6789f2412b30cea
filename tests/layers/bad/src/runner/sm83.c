#include "../gb/gb_internal.h"
