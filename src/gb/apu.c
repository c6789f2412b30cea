#include "gb_internal.h"
