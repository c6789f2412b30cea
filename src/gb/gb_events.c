#include "gb_events.h"

static const ct_event_desc events[] = {GB_EVENTS(CT_DESC)};
const ct_schema gb_schema = {"gb", GB_CLOCK_HZ, gb_ev_count, events, "T-cycle"};
