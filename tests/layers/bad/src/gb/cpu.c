#include "../runner/runner.h"
#include "../debug/trigger.h"
