#include "../gb/gb.h"
